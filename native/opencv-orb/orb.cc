// ORB keypoints and descriptors from the system's OpenCV (native, SIMD): about 4x faster than the
// WASM build for the same keypoints. Loaded only by src/features/local/opencv.ts, which falls back
// to the WASM build when this addon was not built (no OpenCV headers at install time).
#include <napi.h>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

namespace {

// orbDetect(gray: Uint8Array, width, height, nfeatures, scaleFactor, nlevels, fastThreshold, blurSigma)
//   -> { count, xy: Float32Array, response: Float32Array, descriptors: Uint8Array }
// The same ORB(nfeatures, scaleFactor, nlevels, 31, 0, 2, HARRIS, 31, fastThreshold) as the WASM path.
Napi::Value OrbDetect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "orbDetect(gray, width, height, nfeatures, scaleFactor, nlevels, fastThreshold, blurSigma)").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array gray = info[0].As<Napi::Uint8Array>();
  const int width = info[1].As<Napi::Number>().Int32Value();
  const int height = info[2].As<Napi::Number>().Int32Value();
  const int nfeatures = info[3].As<Napi::Number>().Int32Value();
  const float scaleFactor = info[4].As<Napi::Number>().FloatValue();
  const int nlevels = info[5].As<Napi::Number>().Int32Value();
  const int fastThreshold = info[6].As<Napi::Number>().Int32Value();
  const double blurSigma = info[7].As<Napi::Number>().DoubleValue();
  if (width <= 0 || height <= 0 || static_cast<size_t>(width) * height != gray.ElementLength()) {
    Napi::RangeError::New(env, "gray has the wrong size").ThrowAsJavaScriptException();
    return env.Null();
  }
  std::vector<cv::KeyPoint> kps;
  cv::Mat desc;
  try {
    cv::Mat img(height, width, CV_8UC1, gray.Data());
    cv::Mat input = img;
    if (blurSigma > 0) {
      cv::GaussianBlur(img, input, cv::Size(0, 0), blurSigma, blurSigma, cv::BORDER_REPLICATE);
    }
    auto orb = cv::ORB::create(nfeatures, scaleFactor, nlevels, 31, 0, 2, cv::ORB::HARRIS_SCORE, 31, fastThreshold);
    orb->detectAndCompute(input, cv::noArray(), kps, desc);
  } catch (const cv::Exception& e) {
    Napi::Error::New(env, std::string("OpenCV: ") + e.what()).ThrowAsJavaScriptException();
    return env.Null();
  }
  const size_t count = static_cast<size_t>(desc.rows);
  if (count != kps.size() || (count > 0 && desc.cols != 32)) {
    Napi::Error::New(env, "unexpected ORB output").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Float32Array xy = Napi::Float32Array::New(env, count * 2);
  Napi::Float32Array response = Napi::Float32Array::New(env, count);
  Napi::Uint8Array descriptors = Napi::Uint8Array::New(env, count * 32);
  for (size_t i = 0; i < count; i++) {
    xy[2 * i] = kps[i].pt.x;
    xy[2 * i + 1] = kps[i].pt.y;
    response[i] = kps[i].response;
    std::memcpy(descriptors.Data() + i * 32, desc.ptr(static_cast<int>(i)), 32);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", Napi::Number::New(env, static_cast<double>(count)));
  out.Set("xy", xy);
  out.Set("response", response);
  out.Set("descriptors", descriptors);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // One thread per call: shoplens runs its own workers, and OpenCV's pool would compete with them.
  cv::setNumThreads(1);
  exports.Set("orbDetect", Napi::Function::New(env, OrbDetect));
  exports.Set("opencvVersion", Napi::String::New(env, CV_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(opencv_orb, Init)
