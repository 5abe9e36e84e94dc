// ORB keypoints and descriptors from the system's OpenCV (native, SIMD): about 4x faster than the
// WASM build for the same keypoints. Loaded only by src/features/local/opencv.ts, which falls back
// to the WASM build when this addon was not built (no OpenCV headers at install time).
#include <napi.h>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

namespace {

// OpenCV's float arithmetic for pyramid sizes and per-level shares (features2d/src/orb.cpp), so a
// level detected alone finds exactly the keypoints one ORB run finds on it.
std::vector<int> KeypointsPerLevel(int total, float scaleFactor, int nlevels) {
  std::vector<int> out(nlevels);
  const float factor = 1.0f / scaleFactor;
  float desired = total * (1 - factor) / (1 - std::pow(factor, static_cast<float>(nlevels)));
  int sum = 0;
  for (int l = 0; l < nlevels - 1; l++) {
    out[l] = cvRound(desired);
    sum += out[l];
    desired *= factor;
  }
  out[nlevels - 1] = std::max(total - sum, 0);
  return out;
}

struct Detected {
  std::vector<cv::KeyPoint> kps;  // positions in level-0 pixels
  cv::Mat desc;
};

// Levels [first, last) of ORB's pyramid over `level0`, each resized from the one below and detected
// alone with its share of keypoints (the same scheme as detectLevels in local-features.ts).
Detected DetectLevels(const cv::Mat& level0, const std::vector<int>& perLevel, float scaleFactor, int first, int last, int fastThreshold) {
  Detected out;
  cv::Mat mat = level0;
  std::vector<cv::Mat> descs;
  for (int l = 0; l < last; l++) {
    const float scale = std::pow(scaleFactor, static_cast<float>(l));
    if (l > 0) {
      cv::Mat next;
      cv::resize(mat, next, cv::Size(cvRound(level0.cols / scale), cvRound(level0.rows / scale)), 0, 0, cv::INTER_LINEAR_EXACT);
      mat = next;
    }
    if (l < first || perLevel[l] <= 0) continue;
    std::vector<cv::KeyPoint> kps;
    cv::Mat desc;
    cv::ORB::create(perLevel[l], scaleFactor, 1, 31, 0, 2, cv::ORB::HARRIS_SCORE, 31, fastThreshold)->detectAndCompute(mat, cv::noArray(), kps, desc);
    for (auto& k : kps) k.pt *= scale;
    out.kps.insert(out.kps.end(), kps.begin(), kps.end());
    if (!desc.empty()) descs.push_back(desc);
  }
  if (!descs.empty()) cv::vconcat(descs, out.desc);
  return out;
}

// orbDetect(gray: Uint8Array, width, height, nfeatures, scaleFactor, nlevels, fastThreshold, blurSigma, threads?)
//   -> { count, xy: Float32Array, response: Float32Array, angle: Float32Array, descriptors: Uint8Array }
// angle: ORB's orientation of each keypoint (intensity centroid), degrees in [0, 360).
// The same ORB(nfeatures, scaleFactor, nlevels, 31, 0, 2, HARRIS, 31, fastThreshold) as the WASM path.
// threads = 2: levels 2.. on a second thread while this one detects levels 0-1 (same keypoints).
Napi::Value OrbDetect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "orbDetect(gray, width, height, nfeatures, scaleFactor, nlevels, fastThreshold, blurSigma, threads?)").ThrowAsJavaScriptException();
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
  const int threads = info.Length() > 8 && info[8].IsNumber() ? info[8].As<Napi::Number>().Int32Value() : 1;
  if (width <= 0 || height <= 0 || static_cast<size_t>(width) * height != gray.ElementLength()) {
    Napi::RangeError::New(env, "gray has the wrong size").ThrowAsJavaScriptException();
    return env.Null();
  }
  if (nfeatures <= 0 || nlevels <= 0 || nlevels > 32 || !(scaleFactor > 1)) {
    Napi::RangeError::New(env, "bad ORB parameters").ThrowAsJavaScriptException();
    return env.Null();
  }
  std::vector<cv::KeyPoint> kps;
  cv::Mat desc;
  try {
    // The caller's pixels are never written: the blur goes to a copy.
    const cv::Mat img(height, width, CV_8UC1, gray.Data());
    cv::Mat input;
    if (blurSigma > 0) cv::GaussianBlur(img, input, cv::Size(0, 0), blurSigma, blurSigma, cv::BORDER_REPLICATE);
    else input = img;
    if (threads >= 2 && nlevels > 2) {
      const std::vector<int> perLevel = KeypointsPerLevel(nfeatures, scaleFactor, nlevels);
      Detected upper;
      std::exception_ptr failed;
      std::thread worker([&] {
        try {
          upper = DetectLevels(input, perLevel, scaleFactor, 2, nlevels, fastThreshold);
        } catch (...) {
          failed = std::current_exception();
        }
      });
      Detected lower;
      try {
        lower = DetectLevels(input, perLevel, scaleFactor, 0, 2, fastThreshold);
      } catch (...) {
        worker.join();
        throw;
      }
      worker.join();
      if (failed) std::rethrow_exception(failed);
      kps = std::move(lower.kps);
      kps.insert(kps.end(), upper.kps.begin(), upper.kps.end());
      std::vector<cv::Mat> parts;
      if (!lower.desc.empty()) parts.push_back(lower.desc);
      if (!upper.desc.empty()) parts.push_back(upper.desc);
      if (!parts.empty()) cv::vconcat(parts, desc);
    } else {
      auto orb = cv::ORB::create(nfeatures, scaleFactor, nlevels, 31, 0, 2, cv::ORB::HARRIS_SCORE, 31, fastThreshold);
      orb->detectAndCompute(input, cv::noArray(), kps, desc);
    }
  } catch (const cv::Exception& e) {
    Napi::Error::New(env, std::string("OpenCV: ") + e.what()).ThrowAsJavaScriptException();
    return env.Null();
  } catch (const std::exception& e) {
    Napi::Error::New(env, std::string("ORB: ") + e.what()).ThrowAsJavaScriptException();
    return env.Null();
  }
  const size_t count = static_cast<size_t>(desc.rows);
  if (count != kps.size() || (count > 0 && desc.cols != 32)) {
    Napi::Error::New(env, "unexpected ORB output").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Float32Array xy = Napi::Float32Array::New(env, count * 2);
  Napi::Float32Array response = Napi::Float32Array::New(env, count);
  Napi::Float32Array angle = Napi::Float32Array::New(env, count);
  Napi::Uint8Array descriptors = Napi::Uint8Array::New(env, count * 32);
  for (size_t i = 0; i < count; i++) {
    xy[2 * i] = kps[i].pt.x;
    xy[2 * i + 1] = kps[i].pt.y;
    response[i] = kps[i].response;
    angle[i] = kps[i].angle;
    std::memcpy(descriptors.Data() + i * 32, desc.ptr(static_cast<int>(i)), 32);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", Napi::Number::New(env, static_cast<double>(count)));
  out.Set("xy", xy);
  out.Set("response", response);
  out.Set("angle", angle);
  out.Set("descriptors", descriptors);
  return out;
}

// Descriptor matching of product lookup's verification (src/search/lookup/verify.ts, which has the
// same loop in JS for when this addon is not built): for each query descriptor the nearest catalog
// descriptor in the same first-level branch (all of them when `bucketed` is false), kept when within
// `maxDistance` bits and either below `ratio` × the second nearest or within `accept` bits; each
// catalog descriptor is claimed by its nearest query descriptor. With angles (one byte per
// descriptor, 256 steps a turn) and maxTurn >= 0, only catalog descriptors whose angle differs from
// the query descriptor's by at most maxTurn steps compete. Returns catalog, query index pairs in
// the order the catalog descriptors were first claimed (the JS Map's order).
Napi::Value MatchDescriptors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray() || !info[3].IsTypedArray()) {
    Napi::TypeError::New(env, "matchDescriptors(queryDescriptors, queryBranches, catalogDescriptors, catalogBranches, maxDistance, ratio, accept, bucketed, queryAngles?, catalogAngles?, maxTurn?)").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array qd = info[0].As<Napi::Uint8Array>(), qb = info[1].As<Napi::Uint8Array>();
  Napi::Uint8Array cd = info[2].As<Napi::Uint8Array>(), cb = info[3].As<Napi::Uint8Array>();
  const int maxDistance = info[4].As<Napi::Number>().Int32Value();
  const double ratio = info[5].As<Napi::Number>().DoubleValue();
  const int accept = info[6].As<Napi::Number>().Int32Value();
  const bool bucketed = info[7].As<Napi::Boolean>().Value();
  const size_t nq = qb.ElementLength(), nc = cb.ElementLength();
  if (qd.ElementLength() != nq * 32 || cd.ElementLength() != nc * 32) {
    Napi::RangeError::New(env, "descriptors must be 32 bytes per branch entry").ThrowAsJavaScriptException();
    return env.Null();
  }
  const bool turns = info.Length() > 10 && info[8].IsTypedArray() && info[9].IsTypedArray() && info[10].IsNumber() && info[10].As<Napi::Number>().Int32Value() >= 0;
  const int maxTurn = turns ? info[10].As<Napi::Number>().Int32Value() : -1;
  const uint8_t* qa = nullptr;
  const uint8_t* ca = nullptr;
  if (turns) {
    Napi::Uint8Array qan = info[8].As<Napi::Uint8Array>(), can = info[9].As<Napi::Uint8Array>();
    if (qan.ElementLength() < nq || can.ElementLength() < nc) {
      Napi::RangeError::New(env, "angles must have one byte per descriptor").ThrowAsJavaScriptException();
      return env.Null();
    }
    qa = qan.Data();
    ca = can.Data();
  }
  std::vector<uint64_t> q(nq * 4), c(nc * 4);
  if (nq) std::memcpy(q.data(), qd.Data(), nq * 32);
  if (nc) std::memcpy(c.data(), cd.Data(), nc * 32);
  // Catalog descriptors grouped by branch (all in one group when not bucketed).
  std::vector<std::vector<uint32_t>> buckets(bucketed ? 256 : 1);
  for (size_t j = 0; j < nc; j++) buckets[bucketed ? cb[j] : 0].push_back(static_cast<uint32_t>(j));
  std::vector<int32_t> claimQ(nc, -1), claimD(nc, 257), order;
  for (size_t i = 0; i < nq; i++) {
    const auto& bucket = buckets[bucketed ? qb[i] : 0];
    const uint64_t* a = &q[i * 4];
    int best = -1, d1 = 257, d2 = 257;
    for (uint32_t j : bucket) {
      if (turns) {
        const int t = (qa[i] - ca[j]) & 255;
        if (t > maxTurn && t < 256 - maxTurn) continue;
      }
      const uint64_t* b = &c[j * 4];
      const int d = __builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1]) + __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]);
      if (d < d1) { d2 = d1; d1 = d; best = static_cast<int>(j); } else if (d < d2) d2 = d;
    }
    if (best < 0 || d1 > maxDistance || (d1 >= ratio * d2 && !(d1 <= accept))) continue;
    if (claimQ[best] < 0) order.push_back(best);
    if (claimQ[best] < 0 || d1 < claimD[best]) { claimQ[best] = static_cast<int32_t>(i); claimD[best] = d1; }
  }
  Napi::Int32Array out = Napi::Int32Array::New(env, order.size() * 2);
  for (size_t k = 0; k < order.size(); k++) { out[2 * k] = order[k]; out[2 * k + 1] = claimQ[order[k]]; }
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // One thread per call: shoplens runs its own workers, and OpenCV's pool would compete with them.
  cv::setNumThreads(1);
  exports.Set("orbDetect", Napi::Function::New(env, OrbDetect));
  exports.Set("matchDescriptors", Napi::Function::New(env, MatchDescriptors));
  exports.Set("opencvVersion", Napi::String::New(env, CV_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(opencv_orb, Init)
