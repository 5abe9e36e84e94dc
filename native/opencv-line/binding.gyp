{
  "variables": {
    "opencv_include%": "/usr/include/opencv4"
  },
  "targets": [
    {
      "target_name": "opencv_line",
      "sources": ["line.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<(opencv_include)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lopencv_rgbd", "-lopencv_imgproc", "-lopencv_core"]
    }
  ]
}
