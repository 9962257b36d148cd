#!/usr/bin/python3
"""A small CRI client for tests/clients/cri.sh: what a kubelet sends to
containerd's CRI plugin, over gRPC on containerd's socket, plus the two
streaming protocols behind the URLs that Exec and PortForward return.

    cri_client.py gen                     generate the gRPC stubs into $CRI_GEN_DIR
    cri_client.py call METHOD [JSON|@FILE] [--get PATH]...
        one RuntimeService/ImageService call; the request as JSON (the
        fields of cri_min.proto, enums by name); the reply printed as JSON
        with the proto field names, or, with --get, the value at each dotted
        PATH ("status.state", "containers.0.id"), one per line ("" if unset)
    cri_client.py exec-sync ID TIMEOUT CMD...
        ExecSync: the command's stdout and stderr relayed, its exit code ours
    cri_client.py exec [--stdin DATA] [--tty] ID CMD...
        Exec, then its URL over a websocket (subprotocol v4.channel.k8s.io:
        one byte of channel, 0 stdin 1 stdout 2 stderr 3 status): DATA sent
        on stdin, stdout and stderr relayed, the exit code from the status
    cri_client.py port-forward POD PORT --send DATA --expect TEXT
        PortForward, then its URL over a websocket (two channels per port:
        data and error, each starting with the port as 2 bytes little
        endian): DATA sent to PORT in the pod's network namespace, the reply
        printed once it holds TEXT

Environment: CRI_SOCKET (containerd's socket), CRI_GEN_DIR (where `gen`
puts the stubs; the test's temp dir). Exit status 250-254: the client's own
failure (RPC error, protocol), with a message on stderr.

The stubs are generated from cri_min.proto (next to this file) by
grpc_tools.protoc at test time; nothing generated is kept in the tree.
Uses Debian 12's python3-grpcio, python3-grpc-tools, python3-protobuf and
python3-websocket: run it with /usr/bin/python3.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = "cri_min.proto"
RPC_TIMEOUT = float(os.environ.get("CRI_RPC_TIMEOUT", "120"))


def die(code, msg):
    print("cri_client: " + msg, file=sys.stderr)
    sys.exit(code)


def gen_dir():
    d = os.environ.get("CRI_GEN_DIR")
    if not d:
        die(250, "CRI_GEN_DIR is not set")
    return d


def generate():
    from grpc_tools import protoc
    d = gen_dir()
    os.makedirs(d, exist_ok=True)
    rc = protoc.main(["grpc_tools.protoc", "-I" + HERE, "--python_out=" + d,
                      "--grpc_python_out=" + d, os.path.join(HERE, PROTO)])
    if rc != 0:
        die(250, "protoc failed on %s (%d)" % (PROTO, rc))


def stubs():
    d = gen_dir()
    if not os.path.exists(os.path.join(d, "cri_min_pb2.py")):
        die(250, "no stubs in %s: run `cri_client.py gen` first" % d)
    sys.path.insert(0, d)
    import cri_min_pb2
    import cri_min_pb2_grpc
    return cri_min_pb2, cri_min_pb2_grpc


class Cri:
    def __init__(self):
        import grpc
        self.grpc = grpc
        self.pb, self.pb_grpc = stubs()
        sock = os.environ.get("CRI_SOCKET")
        if not sock:
            die(250, "CRI_SOCKET is not set")
        self.channel = grpc.insecure_channel("unix://" + sock)
        self.services = {name: getattr(self.pb_grpc, name + "Stub")(self.channel)
                         for name in ("RuntimeService", "ImageService")}

    def call(self, method, request):
        """request: a dict (JSON form) or a message."""
        from google.protobuf import json_format
        for name, stub in self.services.items():
            svc = self.pb.DESCRIPTOR.services_by_name[name]
            if method in svc.methods_by_name:
                break
        else:
            die(250, "no method %s in %s" % (method, PROTO))
        cls = getattr(self.pb, svc.methods_by_name[method].input_type.name)
        if isinstance(request, dict):
            request = json_format.ParseDict(request, cls())
        try:
            return getattr(stub, method)(request, timeout=RPC_TIMEOUT)
        except self.grpc.RpcError as e:
            # The CRI's error text (containerd's, with the runtime's) is what
            # the scenarios check: print it whole.
            die(251, "%s: %s: %s" % (method, e.code().name, e.details()))


def to_dict(msg):
    from google.protobuf import json_format
    return json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                     including_default_value_fields=True)


def get_path(obj, path):
    for part in path.split("."):
        if isinstance(obj, list):
            try:
                obj = obj[int(part)]
            except (ValueError, IndexError):
                return ""
        elif isinstance(obj, dict):
            if part not in obj:
                return ""
            obj = obj[part]
        else:
            return ""
    if isinstance(obj, (dict, list)):
        return json.dumps(obj, sort_keys=True)
    if isinstance(obj, bool):
        return "true" if obj else "false"
    return str(obj)


def cmd_call(args):
    gets = []
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--get":
            gets.append(args[i + 1])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    if not rest:
        die(250, "call METHOD [JSON|@FILE] [--get PATH]...")
    method = rest[0]
    text = rest[1] if len(rest) > 1 else "{}"
    if text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read()
    reply = to_dict(Cri().call(method, json.loads(text)))
    if gets:
        for g in gets:
            print(get_path(reply, g))
    else:
        print(json.dumps(reply, indent=1, sort_keys=True))


def cmd_exec_sync(args):
    if len(args) < 3:
        die(250, "exec-sync ID TIMEOUT CMD...")
    r = Cri().call("ExecSync", {"container_id": args[0], "timeout": int(args[1]), "cmd": args[2:]})
    sys.stdout.buffer.write(r.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(r.stderr)
    sys.stderr.flush()
    sys.exit(r.exit_code)


def websocket_connect(url):
    import websocket
    if url.startswith("http"):
        url = "ws" + url[len("http"):]
    # The streaming server (k8s.io/apiserver's wsstream, in containerd) picks
    # the channel protocol from Sec-WebSocket-Protocol.
    return websocket.create_connection(url, subprotocols=["v4.channel.k8s.io"], timeout=30)


def ws_frames(ws, deadline):
    """Yields (channel, payload) until the server closes or the deadline."""
    import time
    import websocket
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ws.settimeout(left)
        try:
            op, data = ws.recv_data(control_frame=False)
        except websocket.WebSocketConnectionClosedException:
            return
        except websocket.WebSocketTimeoutException:
            raise TimeoutError
        if op == websocket.ABNF.OPCODE_CLOSE:
            return
        if op != websocket.ABNF.OPCODE_BINARY:
            raise RuntimeError("websocket: unexpected opcode %d (%r)" % (op, data[:80]))
        if data:
            yield data[0], data[1:]


def cmd_exec(args):
    import time
    stdin = None
    tty = False
    while args and args[0].startswith("--"):
        if args[0] == "--stdin":
            stdin = args[1].encode()
            args = args[2:]
        elif args[0] == "--tty":
            tty = True
            args = args[1:]
        else:
            die(250, "exec: unknown option " + args[0])
    if len(args) < 2:
        die(250, "exec [--stdin DATA] [--tty] ID CMD...")
    r = Cri().call("Exec", {"container_id": args[0], "cmd": args[1:], "tty": tty,
                            "stdin": stdin is not None, "stdout": True, "stderr": not tty})
    ws = websocket_connect(r.url)
    if stdin is not None:
        ws.send_binary(b"\x00" + stdin)
    status = None
    try:
        for ch, payload in ws_frames(ws, time.monotonic() + 60):
            if ch == 1:
                sys.stdout.buffer.write(payload)
                sys.stdout.flush()
            elif ch == 2:
                sys.stderr.buffer.write(payload)
                sys.stderr.flush()
            elif ch == 3 and payload:
                status = json.loads(payload)
    except TimeoutError:
        die(252, "exec: no end of stream within 60 s")
    finally:
        ws.close()
    # v4.channel.k8s.io ends with a metav1.Status on channel 3: Success, or
    # Failure with reason NonZeroExitCode and the code as the ExitCode cause.
    if status is None:
        die(253, "exec: the stream closed without a status")
    if status.get("status") == "Success":
        sys.exit(0)
    for cause in status.get("details", {}).get("causes", []):
        if cause.get("reason") == "ExitCode":
            sys.exit(int(cause["message"]))
    die(254, "exec failed: %s" % json.dumps(status))


def cmd_port_forward(args):
    import struct
    import time
    send = expect = None
    pos = []
    while args:
        if args[0] == "--send":
            send = args[1].encode().decode("unicode_escape").encode("latin-1")
            args = args[2:]
        elif args[0] == "--expect":
            expect = args[1].encode()
            args = args[2:]
        else:
            pos.append(args[0])
            args = args[1:]
    if len(pos) != 2 or send is None or expect is None:
        die(250, "port-forward POD PORT --send DATA --expect TEXT")
    port = int(pos[1])
    r = Cri().call("PortForward", {"pod_sandbox_id": pos[0], "port": [port]})
    ws = websocket_connect(r.url)
    got = bytearray()
    errors = bytearray()
    seen_header = set()
    sent = False
    try:
        for ch, payload in ws_frames(ws, time.monotonic() + 30):
            # Each channel's first message is the port it serves.
            if ch not in seen_header:
                if len(payload) < 2 or struct.unpack("<H", payload[:2])[0] != port:
                    die(253, "port-forward: channel %d did not start with port %d: %r" % (ch, port, payload))
                seen_header.add(ch)
                payload = payload[2:]
            if ch == 0:
                got += payload
            elif ch == 1:
                errors += payload
            if not sent and seen_header == {0, 1}:
                ws.send_binary(b"\x00" + send)
                sent = True
            if errors or expect in got:
                break
    except TimeoutError:
        pass
    finally:
        ws.close()
    sys.stdout.buffer.write(bytes(got))
    sys.stdout.flush()
    if errors:
        die(254, "port-forward error: %s" % errors.decode(errors="replace"))
    if expect not in got:
        die(252, "port-forward: no %r in the reply within 30 s" % expect.decode())


def main():
    if len(sys.argv) < 2:
        die(250, __doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        generate()
    elif cmd == "call":
        cmd_call(args)
    elif cmd == "exec-sync":
        cmd_exec_sync(args)
    elif cmd == "exec":
        cmd_exec(args)
    elif cmd == "port-forward":
        cmd_port_forward(args)
    else:
        die(250, "unknown command " + cmd)


if __name__ == "__main__":
    main()
