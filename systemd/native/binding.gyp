{
  "targets": [
    {
      "target_name": "sdnotify",
      "sources": ["sdnotify.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
