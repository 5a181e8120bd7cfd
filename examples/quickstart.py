"""Create, list, stream, update and delete webhooks against the embedded fake server.

Runs with no account and no network: ``python examples/quickstart.py``.
"""

from __future__ import annotations

import asyncio

from whautochat_async import WebhookEvent, WhautoChat
from whautochat_async.testing import FakeWhautoChat


async def main() -> None:
    async with FakeWhautoChat(api_key="demo-key", seed=7) as fake:
        fake.seed_webhooks(5)
        async with WhautoChat("demo-key", base_url=fake.url) as client:
            created = await client.webhooks.create(
                name="orders",
                server_url="https://example.com/hooks/orders",
                events=[WebhookEvent.INCOMING_WHATSAPP_MESSAGE],
            )
            print(f"created  {created.id}  {created.name}  -> {created.server_url}")
            page = await client.webhooks.list(limit=3)
            print(f"page 1 of limit 3: {[hook.name for hook in page]}")
            async for hook in client.webhooks.list(limit=2):
                print(f"streamed {hook.id}  {hook.name}  active={hook.active}")
            updated = await client.webhooks.update(created, active=False)
            print(f"updated  {updated.id}  active={updated.active}")
            result = await client.webhooks.delete(updated)
            print(f"deleted  {updated.id}  success={result.success}")
        print(f"the fake server answered {fake.request_count} requests")


if __name__ == "__main__":
    asyncio.run(main())
