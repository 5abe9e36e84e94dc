// LINE-2D template matching (OpenCV contrib's cv::linemod, colour-gradient modality) for products
// that keypoints cannot see: line drawings, outlines, see-through and softly shaded drawings. A
// catalogue product gives templates of its gradient orientations at a few turns and sizes
// (lineTemplates, at ingest); a LineDetector holds every product's templates and finds them in a
// photo (match, off the JS thread). Loaded only by src/search/lookup/lines.ts, which works without it.
#include <napi.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/rgbd/linemod.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace lm = cv::linemod;

// Pyramid of two levels: T = 4 px at full size, 8 px at half size (where every template is tried).
const std::vector<int> kT = {4, 8};
// Gradient magnitudes: weak (quantised at all), strong (a template's features).
const float kWeak = 10.0f, kStrong = 55.0f;
// Pixels of edge repeated around a photo before matching.
const int kBorder = 48;

cv::Ptr<lm::Detector> NewDetector(int features) {
  std::vector<cv::Ptr<lm::Modality>> mods = {lm::ColorGradient::create(kWeak, features, kStrong)};
  return cv::makePtr<lm::Detector>(mods, kT);
}

// Blob of one product's templates, little-endian:
//   u16 template count; per template: i8 turn (degrees), u16 size (longest side, px, of the drawing
//   before turning), then per pyramid level: u16 width, u16 height, u16 feature count, features as
//   (u16 x, u16 y, u8 label).
void PutU16(std::vector<uint8_t>& out, int v) { out.push_back(v & 255); out.push_back((v >> 8) & 255); }
int GetU16(const uint8_t* p) { return p[0] | (p[1] << 8); }

// lineTemplates(rgb: Uint8Array, width, height, mask: Uint8Array, sizes: number[], turns: number[], features)
//   -> Uint8Array (the blob above; count 0 when no template could be made)
// The product (mask > 0) is cut out on white, scaled so its longest side is each of `sizes`, turned by
// each of `turns` degrees, and gives one template per (size, turn) from its strongest gradients.
Napi::Value LineTemplates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7 || !info[0].IsTypedArray() || !info[3].IsTypedArray() || !info[4].IsArray() || !info[5].IsArray()) {
    Napi::TypeError::New(env, "lineTemplates(rgb, width, height, mask, sizes, turns, features)").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array rgb = info[0].As<Napi::Uint8Array>();
  const int width = info[1].As<Napi::Number>().Int32Value(), height = info[2].As<Napi::Number>().Int32Value();
  Napi::Uint8Array maskIn = info[3].As<Napi::Uint8Array>();
  const int features = info[6].As<Napi::Number>().Int32Value();
  if (width <= 0 || height <= 0 || rgb.ElementLength() < static_cast<size_t>(width) * height * 3 || maskIn.ElementLength() < static_cast<size_t>(width) * height || features < 8 || features > 63) {
    Napi::RangeError::New(env, "lineTemplates: rgb needs width*height*3 bytes, mask width*height, features 8-63").ThrowAsJavaScriptException();
    return env.Null();
  }
  std::vector<float> sizes, turns;
  Napi::Array s = info[4].As<Napi::Array>(), t = info[5].As<Napi::Array>();
  for (uint32_t i = 0; i < s.Length(); i++) sizes.push_back(s.Get(i).As<Napi::Number>().FloatValue());
  for (uint32_t i = 0; i < t.Length(); i++) turns.push_back(t.Get(i).As<Napi::Number>().FloatValue());

  cv::Mat image(height, width, CV_8UC3, rgb.Data());
  cv::Mat mask(height, width, CV_8U, maskIn.Data());
  cv::Rect bb = cv::boundingRect(mask);
  std::vector<uint8_t> out;
  PutU16(out, 0);
  int count = 0;
  if (bb.width >= 4 && bb.height >= 4) {
    cv::Mat product(bb.size(), CV_8UC3, cv::Scalar(255, 255, 255));
    image(bb).copyTo(product, mask(bb));
    cv::Mat productMask = mask(bb) > 0;
    cv::Ptr<lm::Detector> det = NewDetector(features);
    for (float size : sizes) {
      const double k = size / std::max(bb.width, bb.height);
      cv::Mat scaled, scaledMask;
      cv::resize(product, scaled, cv::Size(), k, k, k < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      cv::resize(productMask, scaledMask, scaled.size(), 0, 0, cv::INTER_NEAREST);
      if (scaled.cols < 8 || scaled.rows < 8) continue;
      const int side = static_cast<int>(std::ceil(std::hypot(scaled.cols, scaled.rows))) + 8;
      cv::Mat canvas(side, side, CV_8UC3, cv::Scalar(255, 255, 255)), canvasMask = cv::Mat::zeros(side, side, CV_8U);
      const cv::Rect at((side - scaled.cols) / 2, (side - scaled.rows) / 2, scaled.cols, scaled.rows);
      scaled.copyTo(canvas(at));
      scaledMask.copyTo(canvasMask(at));
      for (float turn : turns) {
        const cv::Mat r = cv::getRotationMatrix2D(cv::Point2f(side / 2.0f, side / 2.0f), turn, 1.0);
        cv::Mat turned, turnedMask;
        cv::warpAffine(canvas, turned, r, canvas.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(255, 255, 255));
        cv::warpAffine(canvasMask, turnedMask, r, canvas.size(), cv::INTER_NEAREST);
        // The backdrop outside the drawing is not the product's: its edge is, so the mask grows by a pixel.
        cv::dilate(turnedMask, turnedMask, cv::Mat());
        const int id = det->addTemplate({turned}, "p", turnedMask);
        if (id < 0) continue;
        const std::vector<lm::Template>& templates = det->getTemplates("p", id);
        out.push_back(static_cast<uint8_t>(static_cast<int8_t>(std::lround(turn))));
        PutU16(out, static_cast<int>(std::lround(size)));
        for (const lm::Template& tp : templates) {
          PutU16(out, tp.width);
          PutU16(out, tp.height);
          PutU16(out, static_cast<int>(tp.features.size()));
          for (const lm::Feature& f : tp.features) {
            PutU16(out, f.x);
            PutU16(out, f.y);
            out.push_back(static_cast<uint8_t>(f.label));
          }
        }
        count++;
      }
    }
  }
  out[0] = count & 255;
  out[1] = (count >> 8) & 255;
  Napi::Uint8Array result = Napi::Uint8Array::New(env, out.size());
  std::memcpy(result.Data(), out.data(), out.size());
  return result;
}

class LineDetector : public Napi::ObjectWrap<LineDetector> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LineDetector", {
      InstanceMethod("add", &LineDetector::Add),
      InstanceMethod("match", &LineDetector::Match),
      InstanceMethod("calibrate", &LineDetector::Calibrate),
      InstanceMethod("bytes", &LineDetector::Bytes),
    });
  }

  // new LineDetector(features)
  explicit LineDetector(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LineDetector>(info) {
    const int features = info.Length() > 0 ? info[0].As<Napi::Number>().Int32Value() : 40;
    detector_ = NewDetector(features);
  }

 private:
  // add(key: number, blob: Uint8Array) -> templates added (a malformed blob throws, adding nothing)
  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[1].IsTypedArray()) {
      Napi::TypeError::New(env, "add(key, blob)").ThrowAsJavaScriptException();
      return env.Null();
    }
    if (busy_ > 0) {
      Napi::Error::New(env, "LineDetector: add while a match runs").ThrowAsJavaScriptException();
      return env.Null();
    }
    const std::string key = std::to_string(info[0].As<Napi::Number>().Int64Value());
    Napi::Uint8Array blob = info[1].As<Napi::Uint8Array>();
    const uint8_t* p = blob.Data();
    const size_t n = blob.ElementLength();
    std::vector<std::vector<lm::Template>> parsed;
    size_t o = 0;
    auto need = [&](size_t k) { if (o + k > n) throw std::runtime_error("line templates blob is truncated"); };
    try {
      need(2);
      const int count = GetU16(p);
      o = 2;
      for (int i = 0; i < count; i++) {
        need(3);
        o += 3;  // turn and size: what the template was made of, not needed to match it
        std::vector<lm::Template> levels;
        for (size_t l = 0; l < kT.size(); l++) {
          need(6);
          lm::Template tp;
          tp.width = GetU16(p + o);
          tp.height = GetU16(p + o + 2);
          const int nf = GetU16(p + o + 4);
          o += 6;
          tp.pyramid_level = static_cast<int>(l);
          need(static_cast<size_t>(nf) * 5);
          for (int f = 0; f < nf; f++, o += 5) tp.features.emplace_back(GetU16(p + o), GetU16(p + o + 2), p[o + 4]);
          if (nf == 0 || tp.width <= 0 || tp.height <= 0) throw std::runtime_error("line templates blob has an empty template");
          levels.push_back(std::move(tp));
        }
        parsed.push_back(std::move(levels));
      }
      if (o != n) throw std::runtime_error("line templates blob has trailing bytes");
    } catch (const std::exception& e) {
      Napi::Error::New(env, e.what()).ThrowAsJavaScriptException();
      return env.Null();
    }
    for (auto& levels : parsed) {
      if (detector_->addSyntheticTemplate(levels, key) >= 0) classes_.insert(key);
      bytes_ += sizeof(lm::Template) * levels.size();
      for (const auto& tp : levels) bytes_ += tp.features.size() * sizeof(lm::Feature);
    }
    return Napi::Number::New(env, static_cast<double>(parsed.size()));
  }

  Napi::Value Bytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(bytes_)); }

  // match(rgb: Uint8Array, width, height, threshold, keys?: number[]) -> Promise<Array<{ key, similarity, x, y, width, height }>>
  // The best placement of each product above `threshold` (0-100) in the photo, in no order; x, y,
  // width, height in the photo's pixels. Runs on libuv's thread pool.
  Napi::Value Match(const Napi::CallbackInfo& info);

  // calibrate(products: Array<{ rgb, width, height, mask }>, first, count, perCollage, seed, threshold, side)
  //   -> Promise<Array<{ key, sum, sumSq }>>
  // What each product's templates score where the product is not: collages `first` … first+count-1
  // of `perCollage` of these products (cut out by their masks, sized, turned and placed at random;
  // collage i from seed + i alone, so halves run apart add up to the whole) on a tinted, noisy
  // table of `side` × 3/4 side px (the frame photos are matched in). Per product of the detector, the sum and sum of squares over the collages of its
  // best similarity, `threshold` where it placed none above it. Runs on libuv's thread pool.
  Napi::Value Calibrate(const Napi::CallbackInfo& info);

  // The best similarity and match of each product above `threshold` in the photo (padded first).
  std::map<std::string, const lm::Match*> BestPerProduct(const cv::Mat& photo, float threshold, const std::vector<std::string>& keys, std::vector<lm::Match>& matches) const;

  cv::Ptr<lm::Detector> detector_;
  // Products with templates.
  std::set<std::string> classes_;
  size_t bytes_ = 0;
  int busy_ = 0;
  friend class DetectorWorker;
  friend class MatchWorker;
  friend class CalibrateWorker;
};

// Work on a detector off the JS thread: holds the detector's JS object (so it outlives the work)
// and counts as busy (no templates are added meanwhile) until the promise settles.
class DetectorWorker : public Napi::AsyncWorker {
 public:
  DetectorWorker(Napi::Env env, LineDetector* owner, Napi::Object ref) : Napi::AsyncWorker(env), owner_(owner), deferred_(Napi::Promise::Deferred::New(env)) {
    ref_ = Napi::Persistent(ref);
    owner_->busy_++;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void OnOK() override {
    owner_->busy_--;
    deferred_.Resolve(Result(Env()));
  }

  void OnError(const Napi::Error& e) override {
    owner_->busy_--;
    deferred_.Reject(e.Value());
  }

 protected:
  virtual Napi::Value Result(Napi::Env env) = 0;
  LineDetector* owner_;

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference ref_;
};

struct Found {
  double key;
  float similarity;
  int x, y, width, height;
};

class MatchWorker : public DetectorWorker {
 public:
  MatchWorker(Napi::Env env, LineDetector* owner, Napi::Object ref, cv::Mat photo, float threshold, std::vector<std::string> keys)
      : DetectorWorker(env, owner, ref), photo_(std::move(photo)), threshold_(threshold), keys_(std::move(keys)) {}

  void Execute() override {
    std::vector<lm::Match> matches;
    for (const auto& [key, m] : owner_->BestPerProduct(photo_, threshold_, keys_, matches)) {
      const std::vector<lm::Template>& tp = owner_->detector_->getTemplates(key, m->template_id);
      found_.push_back({std::stod(key), m->similarity, m->x - kBorder, m->y - kBorder, tp[0].width, tp[0].height});
    }
  }

 protected:
  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, found_.size());
    for (size_t i = 0; i < found_.size(); i++) {
      const Found& f = found_[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("key", f.key);
      o.Set("similarity", f.similarity);
      o.Set("x", f.x);
      o.Set("y", f.y);
      o.Set("width", f.width);
      o.Set("height", f.height);
      out[i] = o;
    }
    return out;
  }

 private:
  cv::Mat photo_;
  float threshold_;
  std::vector<std::string> keys_;
  std::vector<Found> found_;
};

std::map<std::string, const lm::Match*> LineDetector::BestPerProduct(const cv::Mat& photo, float threshold, const std::vector<std::string>& keys, std::vector<lm::Match>& matches) const {
  // The photo is padded by its edge pixels: kBorder px around (a product partly out of the frame,
  // or as tall as it once turned, still fits a template), then to a multiple of 64 px per side
  // (the linear memories' SIMD rows need it; other sizes crash OpenCV 4.6's matcher).
  const int w = (photo.cols + 2 * kBorder + 63) / 64 * 64, h = (photo.rows + 2 * kBorder + 63) / 64 * 64;
  cv::Mat padded;
  cv::copyMakeBorder(photo, padded, kBorder, h - photo.rows - kBorder, kBorder, w - photo.cols - kBorder, cv::BORDER_REPLICATE);
  detector_->match({padded}, threshold, matches, keys);
  std::map<std::string, const lm::Match*> best;
  for (const lm::Match& m : matches) {
    auto it = best.find(m.class_id);
    if (it == best.end() || it->second->similarity < m.similarity) best[m.class_id] = &m;
  }
  return best;
}

// A catalogue product for the calibration collages: its pixels and mask, cropped to the mask.
struct CollageSource {
  cv::Mat rgb, mask;
};

class CalibrateWorker : public DetectorWorker {
 public:
  CalibrateWorker(Napi::Env env, LineDetector* owner, Napi::Object ref, std::vector<CollageSource> sources, int first, int count, int perCollage, double seed, float threshold, int side)
      : DetectorWorker(env, owner, ref), sources_(std::move(sources)), first_(first), count_(count), per_(perCollage), seed_(seed), threshold_(threshold), side_(side) {}

  void Execute() override {
    for (const std::string& key : owner_->classes_) sums_[key] = {0.0, 0.0};
    const std::vector<std::string> all;
    for (int c = first_; c < first_ + count_; c++) {
      cv::Mat table = Collage(c);
      std::vector<lm::Match> matches;
      const auto best = owner_->BestPerProduct(table, threshold_, all, matches);
      for (auto& [key, s] : sums_) {
        auto it = best.find(key);
        const double v = it == best.end() ? threshold_ : it->second->similarity;
        s.first += v;
        s.second += v * v;
      }
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, sums_.size());
    uint32_t i = 0;
    for (const auto& [key, s] : sums_) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("key", std::stod(key));
      o.Set("sum", s.first);
      o.Set("sumSq", s.second);
      out[i++] = o;
    }
    return out;
  }

 private:
  cv::Mat Collage(int c) const {
    cv::RNG rng(static_cast<uint64_t>(seed_) * 1000003ULL + static_cast<uint64_t>(c) + 1);
    int width = side_, height = side_ * 3 / 4;
    if (rng.uniform(0, 2)) std::swap(width, height);
    cv::Mat table(height, width, CV_8UC3, cv::Scalar(rng.uniform(60, 220), rng.uniform(60, 220), rng.uniform(60, 220)));
    cv::Mat noise(height, width, CV_8UC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 12);
    table += noise;
    for (int k = 0; k < per_ && !sources_.empty(); k++) {
      const CollageSource& src = sources_[rng.uniform(0, static_cast<int>(sources_.size()))];
      const double side = rng.uniform(0.2, 0.5) * std::min(width, height);
      const double scale = side / std::max(src.rgb.cols, src.rgb.rows);
      cv::Mat product, mask;
      cv::resize(src.rgb, product, cv::Size(), scale, scale, cv::INTER_AREA);
      cv::resize(src.mask, mask, product.size(), 0, 0, cv::INTER_NEAREST);
      if (product.cols < 2 || product.rows < 2) continue;
      const int d = static_cast<int>(std::ceil(std::hypot(product.cols, product.rows))) + 2;
      cv::Mat canvas(d, d, CV_8UC3, cv::Scalar(255, 255, 255)), canvasMask = cv::Mat::zeros(d, d, CV_8U);
      const cv::Rect at((d - product.cols) / 2, (d - product.rows) / 2, product.cols, product.rows);
      product.copyTo(canvas(at));
      mask.copyTo(canvasMask(at));
      const cv::Mat r = cv::getRotationMatrix2D(cv::Point2f(d / 2.0f, d / 2.0f), rng.uniform(-180.0, 180.0), 1.0);
      cv::warpAffine(canvas, canvas, r, canvas.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(255, 255, 255));
      cv::warpAffine(canvasMask, canvasMask, r, canvas.size(), cv::INTER_NEAREST);
      const int x = rng.uniform(-d / 3, std::max(-d / 3 + 1, width - 2 * d / 3)), y = rng.uniform(-d / 3, std::max(-d / 3 + 1, height - 2 * d / 3));
      const cv::Rect placed = cv::Rect(x, y, d, d) & cv::Rect(0, 0, width, height);
      if (placed.area() <= 0) continue;
      const cv::Rect from(placed.x - x, placed.y - y, placed.width, placed.height);
      canvas(from).copyTo(table(placed), canvasMask(from));
    }
    return table;
  }

  std::vector<CollageSource> sources_;
  int first_, count_, per_;
  double seed_;
  float threshold_;
  int side_;
  std::map<std::string, std::pair<double, double>> sums_;
};

Napi::Value LineDetector::Calibrate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7 || !info[0].IsArray()) {
    Napi::TypeError::New(env, "calibrate(products, first, count, perCollage, seed, threshold, side)").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Array products = info[0].As<Napi::Array>();
  std::vector<CollageSource> sources;
  for (uint32_t i = 0; i < products.Length(); i++) {
    Napi::Object p = products.Get(i).As<Napi::Object>();
    if (!p.Get("rgb").IsTypedArray() || !p.Get("mask").IsTypedArray()) {
      Napi::TypeError::New(env, "calibrate: each product needs rgb and mask").ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Uint8Array rgb = p.Get("rgb").As<Napi::Uint8Array>(), mask = p.Get("mask").As<Napi::Uint8Array>();
    const int width = p.Get("width").As<Napi::Number>().Int32Value(), height = p.Get("height").As<Napi::Number>().Int32Value();
    if (width <= 0 || height <= 0 || rgb.ElementLength() < static_cast<size_t>(width) * height * 3 || mask.ElementLength() < static_cast<size_t>(width) * height) {
      Napi::RangeError::New(env, "calibrate: rgb needs width*height*3 bytes, mask width*height").ThrowAsJavaScriptException();
      return env.Null();
    }
    const cv::Mat m = cv::Mat(height, width, CV_8U, mask.Data()) > 0;
    const cv::Rect bb = cv::boundingRect(m);
    if (bb.width < 4 || bb.height < 4) continue;
    // Copied: the worker thread must not read buffers JS may reuse.
    sources.push_back({cv::Mat(height, width, CV_8UC3, rgb.Data())(bb).clone(), m(bb).clone()});
  }
  auto* w = new CalibrateWorker(env, this, info.This().As<Napi::Object>(), std::move(sources), info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::Number>().Int32Value(),
                                info[3].As<Napi::Number>().Int32Value(), info[4].As<Napi::Number>().DoubleValue(), info[5].As<Napi::Number>().FloatValue(),
                                std::max(32, info[6].As<Napi::Number>().Int32Value()));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value LineDetector::Match(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "match(rgb, width, height, threshold, keys?)").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array rgb = info[0].As<Napi::Uint8Array>();
  const int width = info[1].As<Napi::Number>().Int32Value(), height = info[2].As<Napi::Number>().Int32Value();
  if (width < 16 || height < 16 || rgb.ElementLength() < static_cast<size_t>(width) * height * 3) {
    Napi::RangeError::New(env, "match: rgb needs width*height*3 bytes, at least 16 px per side").ThrowAsJavaScriptException();
    return env.Null();
  }
  std::vector<std::string> keys;
  if (info.Length() > 4 && info[4].IsArray()) {
    Napi::Array k = info[4].As<Napi::Array>();
    for (uint32_t i = 0; i < k.Length(); i++) {
      std::string key = std::to_string(k.Get(i).As<Napi::Number>().Int64Value());
      if (classes_.count(key)) keys.push_back(std::move(key));
    }
    if (keys.empty()) {
      Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
      d.Resolve(Napi::Array::New(env, 0));
      return d.Promise();
    }
  }
  // The photo is copied: the worker thread must not read a buffer JS may reuse.
  cv::Mat photo = cv::Mat(height, width, CV_8UC3, rgb.Data()).clone();
  auto* w = new MatchWorker(env, this, info.This().As<Napi::Object>(), std::move(photo), info[3].As<Napi::Number>().FloatValue(), std::move(keys));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cv::setNumThreads(1);
  exports.Set("lineTemplates", Napi::Function::New(env, LineTemplates));
  exports.Set("LineDetector", LineDetector::Define(env));
  exports.Set("opencvVersion", Napi::String::New(env, CV_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(opencv_line, Init)
