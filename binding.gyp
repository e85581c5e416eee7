{
  "targets": [
    {
      "target_name": "modalfuse_native",
      "sources": [
        "native/addon.cc",
        "native/common.cc",
        "native/tensor.cc",
        "native/op_args.cc",
        "native/ops.generated.cc",
        "native/ops_manual.cc",
        "native/optim.cc",
        "native/mapped.cc",
        "native/distributed.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs include)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-fexceptions", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations", "<!@(node scripts/libtorch.mjs cflags)"],
      "libraries": ["<!@(node scripts/libtorch.mjs libs)"]
    },
    {
      "target_name": "modalfuse_media",
      "variables": { "audio_libs": "<!(node scripts/media-libs.mjs audio)", "jpeg_lib": "<!(node scripts/media-libs.mjs jpeg)" },
      "conditions": [
        ["audio_libs==1", {
          "sources": ["native/media/audio_decode.cc"],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
          "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
          "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
          "cflags_cc": ["-fexceptions", "-O3", "-std=c++17"],
          "libraries": ["-lsndfile", "-lmpg123"],
          "conditions": [
            ["jpeg_lib==1", {
              "sources": ["native/media/image_decode.cc"],
              "defines": ["MF_TURBOJPEG"],
              "libraries": ["-lturbojpeg"]
            }]
          ]
        }, {
          "type": "none"
        }]
      ]
    }
  ]
}
