"""The baseline of bench/chat.py: a raw WebSocket relay (the `websockets` library, no Django, no
database, no channel layer). Two sockets that open the same path are a pair; each frame one
sends is forwarded to the other, as the chat forwards a message to the other person.

    python bench/_ws_relay.py PORT
"""

import asyncio
import sys

import websockets

rooms: dict[str, set] = {}


async def relay(socket) -> None:
    room = rooms.setdefault(socket.request.path, set())
    room.add(socket)
    try:
        async for frame in socket:
            for other in list(room):
                if other is not socket:
                    await other.send(frame)
    finally:
        room.discard(socket)


async def main(port: int) -> None:
    async with websockets.serve(relay, "127.0.0.1", port, max_queue=None):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
