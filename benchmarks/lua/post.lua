-- POST /posts with a JSON body (author 1 exists in the seeded data).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title": "A benchmark post", "body": "Written by wrk, deleted after the run.", "author_id": 1}'
