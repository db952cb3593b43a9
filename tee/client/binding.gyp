{
  "make_global_settings": [
    [
      "LINK",
      "$(CC)"
    ]
  ],
  "targets": [
    {
      "target_name": "tee_client",
      "conditions": [
        [
          "OS == 'linux'",
          {
            "sources": [
              "src/tee_client.c"
            ],
            "cflags": [
              "-std=gnu11",
              "-Wall",
              "-Wextra",
              "-Werror",
              "-Wno-unused-parameter"
            ],
            "defines": [
              "NAPI_VERSION=8"
            ]
          }
        ]
      ]
    }
  ]
}
