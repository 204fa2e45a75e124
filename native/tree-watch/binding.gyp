{
  "targets": [
    {
      "target_name": "tree_watch",
      "sources": ["tree_watch.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
