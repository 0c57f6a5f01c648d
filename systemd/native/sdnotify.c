/*
 * sdnotify.node: the few AF_UNIX SOCK_DGRAM calls Node cannot make itself
 * (node:dgram only knows udp4/udp6), written against Node-API so one build
 * keeps working across Node versions.
 *
 * send(path, buffer)  one datagram to `path` the way sd_notify(3) does it:
 *                     "@name" is an abstract-namespace address (leading NUL,
 *                     exact length, no trailing NUL), anything else a file
 *                     path. MSG_DONTWAIT: a full receive queue returns EAGAIN
 *                     instead of blocking the event loop. MSG_NOSIGNAL: no
 *                     SIGPIPE. Throws an Error with .code = errno name.
 * bind(path)          a non-blocking receiving socket with SO_PASSCRED, so
 *                     each datagram carries the sender's pid/uid/gid (what
 *                     systemd checks for NotifyAccess=main). Returns the fd.
 * recv(fd)            one pending datagram as { data, pid, uid, gid }, or
 *                     null when none is queued (never blocks).
 * close(fd)           closes a socket made by bind().
 *
 * The receiving half exists for tests and for tools that stand in for the
 * service manager; the daemon only calls send().
 */
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_DGRAM 65536

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[256];
  const char *name = "EIO";
  switch (err) {
    case ENOENT: name = "ENOENT"; break;
    case ECONNREFUSED: name = "ECONNREFUSED"; break;
    case EAGAIN: name = "EAGAIN"; break;
    case EACCES: name = "EACCES"; break;
    case EPERM: name = "EPERM"; break;
    case ENAMETOOLONG: name = "ENAMETOOLONG"; break;
    case EADDRINUSE: name = "EADDRINUSE"; break;
    case EINVAL: name = "EINVAL"; break;
    case EMSGSIZE: name = "EMSGSIZE"; break;
    case ENOTDIR: name = "ENOTDIR"; break;
    case EPROTOTYPE: name = "EPROTOTYPE"; break;
    case EBADF: name = "EBADF"; break;
    case ENOBUFS: name = "ENOBUFS"; break;
    case EMFILE: name = "EMFILE"; break;
    default: break;
  }
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_throw_error(env, name, msg);
  return NULL;
}

/* Fills `sun` from a JS string; returns the address length or -1 (thrown). */
static socklen_t make_addr(napi_env env, napi_value v, struct sockaddr_un *sun) {
  char path[sizeof(sun->sun_path) + 2];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, path, sizeof path, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "socket path must be a string");
    return 0;
  }
  if (len == 0 || len > sizeof(sun->sun_path) - (path[0] == '@' ? 0 : 1)) {
    throw_errno(env, "sockaddr_un", len == 0 ? EINVAL : ENAMETOOLONG);
    return 0;
  }
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  memcpy(sun->sun_path, path, len);
  if (path[0] == '@') {
    /* abstract namespace: the name is exactly `len` bytes starting with NUL */
    sun->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  }
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct sockaddr_un sun;
  void *data = NULL;
  size_t size = 0;
  bool is_buf = false;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, "EINVAL", "send(path, buffer)");
    return NULL;
  }
  socklen_t alen = make_addr(env, argv[0], &sun);
  if (alen == 0) return NULL;
  napi_is_buffer(env, argv[1], &is_buf);
  if (!is_buf) {
    napi_throw_type_error(env, "EINVAL", "payload must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, argv[1], &data, &size);

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);

  struct iovec iov = { .iov_base = data, .iov_len = size };
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &sun;
  msg.msg_namelen = alen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  /* No explicit SCM_CREDENTIALS: the kernel attaches our real pid/uid/gid
   * because the receiver (systemd) sets SO_PASSCRED. */
  ssize_t r;
  do {
    r = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (r < 0) return throw_errno(env, "sendmsg", err);

  napi_value out;
  napi_create_int64(env, (int64_t)r, &out);
  return out;
}

static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct sockaddr_un sun;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, "EINVAL", "bind(path)");
    return NULL;
  }
  socklen_t alen = make_addr(env, argv[0], &sun);
  if (alen == 0) return NULL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_PASSCRED)", err);
  }
  if (bind(fd, (struct sockaddr *)&sun, alen) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value js_recv(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  static char buf[MAX_DGRAM];
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE(sizeof(struct ucred))];
  } control;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "recv(fd)");
    return NULL;
  }
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  memset(&control, 0, sizeof control);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof control.space;
  ssize_t r;
  do {
    r = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_value nul;
      napi_get_null(env, &nul);
      return nul;
    }
    return throw_errno(env, "recvmsg", errno);
  }

  int64_t pid = -1, uid = -1, gid = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      struct ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      pid = cred.pid;
      uid = cred.uid;
      gid = cred.gid;
    }
  }

  napi_value out, data, v;
  void *copy = NULL;
  napi_create_object(env, &out);
  napi_create_buffer_copy(env, (size_t)r, buf, &copy, &data);
  napi_set_named_property(env, out, "data", data);
  napi_create_int64(env, pid, &v);
  napi_set_named_property(env, out, "pid", v);
  napi_create_int64(env, uid, &v);
  napi_set_named_property(env, out, "uid", v);
  napi_create_int64(env, gid, &v);
  napi_set_named_property(env, out, "gid", v);
  napi_value truncated;
  napi_get_boolean(env, (msg.msg_flags & MSG_TRUNC) != 0, &truncated);
  napi_set_named_property(env, out, "truncated", truncated);
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "EINVAL", "close(fd)");
    return NULL;
  }
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL },
    { "bind", NULL, js_bind, NULL, NULL, NULL, napi_enumerable, NULL },
    { "recv", NULL, js_recv, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
