"""An MLLP listener for the HIS posting tests, built on the `hl7` package's
asyncio server. It ACKs every message (AA), validates each one with hl7apy
at STRICT level (AR with the validator's text if it fails), and can be told
to answer AE for one control id, or to drop the connection once after the
Nth message (before or after its ACK). Every message it processes is
appended to --log as one JSON line. It stops by itself after --max-seconds.

Prints "PORT <n>" on stdout once listening (use --port 0 for a free port).
"""

import argparse
import asyncio
import datetime
import json
import sys

import hl7
import hl7.mllp
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message


def strict_problem(text):
    """None when hl7apy accepts the message as a strict v2.5 DFT_P03."""
    try:
        m = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
        if m.name != "DFT_P03":
            return "structure %s, expected DFT_P03" % m.name
        if m.msh.msh_12.value != "2.5":
            return "version %s, expected 2.5" % m.msh.msh_12.value
        if m.validate() is False:
            return "hl7apy validate() returned False"
    except Exception as e:  # noqa: BLE001 - the text goes back in the ACK
        return "%s: %s" % (type(e).__name__, e)
    return None


def ack(msg, code, text=None, err=None):
    msh = msg.segment("MSH")
    control = str(msh(10))
    now = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    segs = [
        "MSH|^~\\&|%s|%s|%s|%s|%s||ACK^P03^ACK|ACK-%s|P|2.5"
        % (msh(5), msh(6), msh(3), msh(4), now, control),
        "MSA|%s|%s%s" % (code, control, ("|" + text) if text else ""),
    ]
    if err:
        segs.append("ERR|||207^Application internal error^HL70357|E||||%s" % err)
    return "\r".join(segs) + "\r"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--ae", action="append", default=[], help="control id to answer AE")
    p.add_argument("--drop-after-ack", type=int, default=0,
                   help="close the connection once, right after ACKing message N")
    p.add_argument("--drop-before-ack", type=int, default=0,
                   help="close the connection once, after reading message N, without ACK")
    p.add_argument("--max-seconds", type=float, default=60)
    a = p.parse_args()

    state = {"n": 0, "conn": 0, "dropped": False, "processed": set()}
    log = open(a.log, "a", encoding="utf-8")

    async def client(reader, writer):
        state["conn"] += 1
        conn = state["conn"]
        try:
            while True:
                try:
                    msg = await reader.readmessage()
                except asyncio.IncompleteReadError:
                    return
                state["n"] += 1
                n = state["n"]
                text = str(msg)
                control = str(msg.segment("MSH")(10))
                if a.drop_before_ack == n and not state["dropped"]:
                    state["dropped"] = True
                    log.write(json.dumps({"event": "dropped_before_ack", "control_id": control,
                                          "conn": conn}) + "\n")
                    log.flush()
                    writer.close()
                    return
                duplicate = control in state["processed"]
                problem = strict_problem(text)
                if problem:
                    reply = ack(msg, "AR", "rejected by hl7apy strict validation", problem)
                elif control in a.ae:
                    reply = ack(msg, "AE", "unknown item code", "FT1-7 item not in the HIS catalogue")
                else:
                    reply = ack(msg, "AA")
                    state["processed"].add(control)
                pid = msg.segment("PID")
                log.write(json.dumps({
                    "event": "message", "control_id": control, "conn": conn,
                    "duplicate": duplicate, "valid": problem is None, "problem": problem,
                    "name": msg.unescape(str(pid(5))),
                    "ft1": [str(s(6)) for s in msg.segments("FT1")],
                    "charset": str(msg.segment("MSH")(18)),
                }, ensure_ascii=False) + "\n")
                log.flush()
                writer.writeblock(reply.encode("utf-8"))
                await writer.drain()
                if a.drop_after_ack == n and not state["dropped"]:
                    state["dropped"] = True
                    writer.close()
                    return
        finally:
            writer.close()

    server = await hl7.mllp.start_hl7_server(client, "127.0.0.1", a.port, encoding="utf-8")
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), timeout=a.max_seconds)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
