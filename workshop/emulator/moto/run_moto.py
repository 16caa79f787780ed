"""Runs moto's server for the workshop until the parent process goes away.

The parent (Node) holds this process's stdin open. When it exits, however it exits
(normally, Ctrl-C or a crash), stdin reaches end of file and the server stops,
so no emulator is ever left running behind a learner's back.
"""
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    print(f"moto listening on http://{host}:{port}", flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
