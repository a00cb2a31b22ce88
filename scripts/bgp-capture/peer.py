# A minimal BGP listener that records every message a speaker sends it, as hex lines.
import socket, sys, time, struct
listen, port, out, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
def msg(t, body):
    return b'\xff' * 16 + struct.pack('!HB', 19 + len(body), t) + body
caps = bytes.fromhex('01040001000101040002000102004104 0000fde9'.replace(' ', ''))
open_body = bytes([4]) + struct.pack('!HHI', 65001, 90, 0x0a000002) + bytes([len(caps) + 2, 2, len(caps)]) + caps
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((listen, port)); s.listen(1)
s.settimeout(30)
c, _ = s.accept(); c.settimeout(0.5)
buf = b''; lines = []; sent_open = False; end = time.time() + seconds
while time.time() < end:
    try:
        data = c.recv(65536)
        if not data: break
        buf += data
    except socket.timeout:
        pass
    while len(buf) >= 19:
        length = struct.unpack('!H', buf[16:18])[0]
        if len(buf) < length: break
        m, buf = buf[:length], buf[length:]
        lines.append(m.hex())
        if m[18] == 1 and not sent_open:
            c.sendall(msg(1, open_body) + msg(4, b'')); sent_open = True
        if m[18] == 4:
            c.sendall(msg(4, b''))
c.sendall(msg(3, bytes([6, 2])))
time.sleep(0.2); c.close()
open(out, 'w').write('\n'.join(lines) + '\n')
