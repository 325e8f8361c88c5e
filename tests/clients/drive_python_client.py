"""Create, list, read, update and delete through the generated Python client."""

import datetime
import json
import sys
import uuid

from api_client import Client
from api_client.api.posts import (
    create_post,
    delete_post,
    read_post,
    read_posts,
    update_post,
)
from api_client.api.users import create_user
from api_client.models import (
    ErrorDetail,
    PostCreate,
    PostCreateMeta,
    PostPublic,
    PostsPublic,
    PostUpdate,
    ReadPostsSort,
    UserCreate,
    UserPublic,
)


def _post(author_id: int, title: str, price: float | str) -> PostCreate:
    return PostCreate(
        title=title,
        body="Hello",
        views=1,
        rating=4.5,
        price=price,
        day=datetime.date(2024, 5, 17),
        reminder="09:30:00",
        key=uuid.uuid4(),
        meta=PostCreateMeta.from_dict({"source": "client"}),
        contact=f"{title}@example.com",
        author_id=author_id,
    )


def main(base_url: str) -> None:
    client = Client(base_url=base_url, raise_on_unexpected_status=True)
    user = create_user.sync(
        client=client, body=UserCreate(email="ada@example.com", name="Ada")
    )
    assert isinstance(user, UserPublic), user
    created = [
        create_post.sync(client=client, body=_post(user.id, "alpha", "12.50")),
        create_post.sync(client=client, body=_post(user.id, "beta", 7.25)),
    ]
    posts = [post for post in created if isinstance(post, PostPublic)]
    assert len(posts) == 2, created
    page = read_posts.sync(client=client, sort=ReadPostsSort.TITLE_DESC)
    assert isinstance(page, PostsPublic), page
    fetched = read_post.sync(posts[0].id, client=client)
    assert isinstance(fetched, PostPublic), fetched
    updated = update_post.sync(
        posts[0].id, client=client, body=PostUpdate(price=99.99, title="gamma")
    )
    assert isinstance(updated, PostPublic), updated
    deleted = delete_post.sync_detailed(posts[1].id, client=client)
    missing = read_post.sync(posts[1].id, client=client)
    assert isinstance(missing, ErrorDetail), missing
    report = {
        "created": [[post.title, post.price] for post in posts],
        "listed": [post.title for post in page.items],
        "total": page.total,
        "fetched": [fetched.title, fetched.price, fetched.author.name],
        "updated": [updated.title, updated.price],
        "deleted": int(deleted.status_code),
        "after_delete": missing.detail,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
