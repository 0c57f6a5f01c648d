// Minimal typings for net-ping 1.2 (the package ships none); only what icmp.ts uses.
declare module 'net-ping' {
  namespace ping {
    interface SessionOptions {
      networkProtocol?: number;
      packetSize?: number;
      retries?: number;
      sessionId?: number;
      timeout?: number;
      ttl?: number;
    }
    interface Session {
      pingHost(target: string, cb: (error: Error | null, target: string, sent?: Date, rcvd?: Date) => void): void;
      close(): void;
      on(event: 'error', fn: (err: Error) => void): this;
      on(event: 'close', fn: () => void): this;
    }
    const NetworkProtocol: { IPv4: number; IPv6: number };
    function createSession(options?: SessionOptions): Session;
  }
  export = ping;
}
