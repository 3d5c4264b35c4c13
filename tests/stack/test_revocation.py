"""Revocation reaches every worker at once (issue #21, 3): sockets opened with an API token on both web
workers close with 4401 the moment the token is revoked, or its bot retired, through nginx on either worker;
the user's other sockets carry on."""

import asyncio
import json

import pytest
import websockets

from tests.stack.client import ORIGIN
from tests.stack.conftest import NGINX, worker_ws

pytestmark = pytest.mark.stack

CLOSE_TIMEOUT = 10


async def open_socket(url: str, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(f"{url}?v=2&token={token}", origin=ORIGIN, open_timeout=10)
    await ws.send(json.dumps({"type": "sync", "since": {}}))
    while json.loads(await ws.recv())["type"] != "sync.done":
        pass
    return ws


async def close_code(ws: websockets.ClientConnection) -> int | None:
    """The code the server closed this socket with (frames before the close are passed over)."""

    async def drain() -> None:
        while True:
            await ws.recv()

    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(drain(), CLOSE_TIMEOUT)
    return ws.close_code


async def pongs(ws: websockets.ClientConnection) -> bool:
    await ws.send(json.dumps({"type": "ping"}))
    while (frame := json.loads(await asyncio.wait_for(ws.recv(), CLOSE_TIMEOUT)))["type"] != "pong":
        assert frame["type"] == "presence", frame
    return True


def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def delete(stack, path: str, token: str) -> int:
    response = stack.http.delete(NGINX + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return response.status_code


async def test_revoking_an_api_token_closes_its_sockets_on_every_worker(stack):
    user = stack.user()
    token = created(stack.post("/api/v1/tokens/", token=user.token, json={"name": "script"}))
    on_worker_1 = await open_socket(worker_ws(1), token["token"])
    on_worker_2 = await open_socket(worker_ws(2), token["token"])
    browser = await open_socket(worker_ws(2), user.token)
    try:
        assert await asyncio.to_thread(delete, stack, f"/api/v1/tokens/{token['id']}/", user.token) == 204

        assert await close_code(on_worker_1) == 4401
        assert await close_code(on_worker_2) == 4401
        assert await pongs(browser)
    finally:
        for ws in (on_worker_1, on_worker_2, browser):
            await ws.close()


async def test_retiring_a_bot_closes_its_sockets_on_every_worker(stack):
    owner = stack.user()
    bot = created(stack.post("/api/v1/bots/", token=owner.token, json={"username": f"bot-{owner.username}"}))
    token = created(
        stack.post(f"/api/v1/bots/{bot['id']}/tokens/", token=owner.token, json={"name": "listen"})
    )
    on_worker_1 = await open_socket(worker_ws(1), token["token"])
    on_worker_2 = await open_socket(worker_ws(2), token["token"])
    try:
        assert await asyncio.to_thread(delete, stack, f"/api/v1/bots/{bot['id']}/", owner.token) == 204

        assert await close_code(on_worker_1) == 4401
        assert await close_code(on_worker_2) == 4401
    finally:
        for ws in (on_worker_1, on_worker_2):
            await ws.close()
