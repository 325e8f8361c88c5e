// Calls of the TypeScript client generated from a project's schema (tsc --noEmit):
// the operation ids make the names, the sort keys and decimals make the types.
import { createPost, createUser, deletePost, readPost, readPosts, updatePost } from "./client";
import type { PostCreate, PostUpdate } from "./client";

export async function crud(): Promise<string | undefined> {
  const user = await createUser({ body: { email: "ada@example.com", name: "Ada" } });
  const authorId: number = user.data?.id ?? 0;
  const body: PostCreate = {
    title: "alpha",
    body: "Hello",
    views: 1,
    rating: 4.5,
    price: "12.50",
    day: "2024-05-17",
    reminder: "09:30:00",
    key: "0b6f2c4e-8e7a-4d51-9c0f-2f8d6c1e5a3b",
    meta: { source: "client" },
    contact: "alpha@example.com",
    author_id: authorId,
  };
  const created = await createPost({ body });
  const postId: number = created.data?.id ?? 0;
  const page = await readPosts({ query: { sort: "-title", limit: 5, min_price: 10 } });
  const total: number | undefined = page.data?.total;
  const change: PostUpdate = { price: 99.99 };
  await updatePost({ path: { post_id: postId }, body: change });
  const post = await readPost({ path: { post_id: postId } });
  await deletePost({ path: { post_id: postId } });
  return `${total} ${post.data?.price}`;
}
