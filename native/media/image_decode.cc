// JPEG decoding with libjpeg-turbo, on the calling thread (decoding workers call it), for
// the photographs most data sets hold: the image is decoded already shrunk by the largest
// power of two that keeps it at least twice the target size (libjpeg scales in its inverse
// DCT, as libvips's shrink-on-load does), then resized to the target with a linear,
// antialiased (triangle) filter, as sharp is asked to, and laid out channel-first.
//
// decodeJpegSync(bytes: Uint8Array, width: number, height: number) → Uint8Array | null
// null means "not here": whatever this path would not read the way sharp does is left to
// sharp, whose result and verdict then stand. That is a file that is not a baseline,
// extended or progressive Huffman JPEG, one in another colour space than YCbCr or grey
// (CMYK, YCCK), one with an EXIF orientation other than upright or an embedded ICC profile
// (sharp applies both), one to be enlarged or whose sides sharp's shrink-on-load would not
// divide evenly (sharp resizes those another way), and any file libjpeg warns about or fails on.
#include <napi.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The EXIF orientation tag of a TIFF block (APP1's payload after "Exif\0\0"): 1 when absent.
int ExifOrientation(const uint8_t* tiff, size_t size) {
  if (size < 8) return 1;
  const bool little = tiff[0] == 'I' && tiff[1] == 'I';
  if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 0;  // unreadable: let sharp judge
  auto u16 = [&](size_t at) -> uint32_t { return little ? tiff[at] | tiff[at + 1] << 8 : tiff[at] << 8 | tiff[at + 1]; };
  auto u32 = [&](size_t at) -> uint32_t { return little ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2); };
  const uint32_t ifd = u32(4);
  if (ifd + 2 > size) return 0;
  const uint32_t entries = u16(ifd);
  for (uint32_t i = 0; i < entries; i++) {
    const size_t at = ifd + 2 + 12 * static_cast<size_t>(i);
    if (at + 12 > size) return 0;
    if (u16(at) == 0x0112) return static_cast<int>(u16(at + 8));
  }
  return 1;
}

// Walks the markers before the first scan: whether this path may decode the file.
bool PlainJpeg(const uint8_t* bytes, size_t size) {
  if (size < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return false;
  size_t at = 2;
  bool frame = false;
  while (at + 4 <= size) {
    if (bytes[at] != 0xFF) return false;
    const uint8_t marker = bytes[at + 1];
    if (marker == 0xFF) {  // fill byte
      at++;
      continue;
    }
    const size_t length = Be16(bytes + at + 2);
    if (length < 2 || at + 2 + length > size) return false;
    const uint8_t* payload = bytes + at + 4;
    const size_t payloadSize = length - 2;
    if (marker == 0xDA) return frame;  // start of scan
    if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) frame = true;
    else if (marker >= 0xC3 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) return false;  // lossless, arithmetic
    else if (marker == 0xE1 && payloadSize >= 6 && std::memcmp(payload, "Exif\0\0", 6) == 0) {
      if (ExifOrientation(payload + 6, payloadSize - 6) != 1) return false;
    } else if (marker == 0xE2 && payloadSize >= 12 && std::memcmp(payload, "ICC_PROFILE\0", 12) == 0) {
      return false;
    }
    at += 2 + length;
  }
  return false;
}

// Triangle-filter taps of one output coordinate: first input index and normalised weights.
struct Taps {
  int first;
  std::vector<float> weights;
};

// For each of `out` outputs over `in` inputs: a linear filter widened by the reduction
// factor when shrinking (antialiasing), centred on the output pixel's centre; taps outside
// the image are dropped and the rest renormalised.
std::vector<Taps> LinearTaps(int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double support = std::max(scale, 1.0);
  std::vector<Taps> taps(static_cast<size_t>(out));
  for (int o = 0; o < out; o++) {
    const double centre = (o + 0.5) * scale;
    const int lo = std::max(0, static_cast<int>(std::floor(centre - support)));
    const int hi = std::min(in, static_cast<int>(std::ceil(centre + support)));
    Taps& t = taps[static_cast<size_t>(o)];
    t.first = lo;
    double sum = 0;
    std::vector<double> w;
    for (int i = lo; i < hi; i++) {
      const double v = std::max(0.0, 1.0 - std::abs((i + 0.5 - centre) / support));
      w.push_back(v);
      sum += v;
    }
    for (double v : w) t.weights.push_back(static_cast<float>(sum > 0 ? v / sum : 0));
  }
  return taps;
}

// Interleaved RGB [h][w][3] → channel-first [3][outH][outW], rounded to bytes.
void ResizeToPlanes(const uint8_t* rgb, int w, int h, int outW, int outH, uint8_t* planes) {
  const auto across = LinearTaps(w, outW);
  const auto down = LinearTaps(h, outH);
  std::vector<float> rows(static_cast<size_t>(h) * outW * 3);  // resized across: [h][outW][3]
  for (int y = 0; y < h; y++) {
    const uint8_t* src = rgb + static_cast<size_t>(y) * w * 3;
    float* dst = rows.data() + static_cast<size_t>(y) * outW * 3;
    for (int x = 0; x < outW; x++) {
      const Taps& t = across[static_cast<size_t>(x)];
      float r = 0, g = 0, b = 0;
      for (size_t k = 0; k < t.weights.size(); k++) {
        const uint8_t* p = src + (t.first + static_cast<int>(k)) * 3;
        r += t.weights[k] * p[0];
        g += t.weights[k] * p[1];
        b += t.weights[k] * p[2];
      }
      dst[3 * x] = r;
      dst[3 * x + 1] = g;
      dst[3 * x + 2] = b;
    }
  }
  const size_t plane = static_cast<size_t>(outW) * outH;
  for (int y = 0; y < outH; y++) {
    const Taps& t = down[static_cast<size_t>(y)];
    for (int x = 0; x < outW; x++) {
      float c[3] = {0, 0, 0};
      for (size_t k = 0; k < t.weights.size(); k++) {
        const float* p = rows.data() + (static_cast<size_t>(t.first + static_cast<int>(k)) * outW + x) * 3;
        for (int ch = 0; ch < 3; ch++) c[ch] += t.weights[k] * p[ch];
      }
      for (int ch = 0; ch < 3; ch++) {
        planes[ch * plane + static_cast<size_t>(y) * outW + x] = static_cast<uint8_t>(std::lround(std::min(255.0f, std::max(0.0f, c[ch]))));
      }
    }
  }
}

// The largest of 8, 4, 2 and 1 that `factor` reaches: the shrink sharp asks libjpeg for.
int SharpShrink(double factor) {
  for (int f : {8, 4, 2}) {
    if (factor >= f) return f;
  }
  return 1;
}

// The largest of 8, 4, 2 and 1 by which both sides can shrink and stay at least twice the
// target, so that the linear filter still averages two or more decoded pixels per output
// pixel (shrinking all the way in the DCT, a block average, measurably changes the picture).
int ShrinkOnLoad(double factor) {
  for (int f : {8, 4, 2}) {
    if (factor >= 2.0 * f) return f;
  }
  return 1;
}

struct Decompressor {
  tjhandle handle = tjInitDecompress();
  ~Decompressor() {
    if (handle != nullptr) tjDestroy(handle);
  }
};

Napi::Value DecodeJpegSync(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsNumber() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "decodeJpegSync(bytes: Uint8Array, width: number, height: number)");
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  const int outW = info[1].As<Napi::Number>().Int32Value();
  const int outH = info[2].As<Napi::Number>().Int32Value();
  if (outW < 1 || outH < 1 || outW > 16384 || outH > 16384) throw Napi::RangeError::New(env, "decodeJpegSync: width and height must be from 1 to 16384");
  if (!PlainJpeg(bytes.Data(), bytes.ByteLength())) return env.Null();

  Decompressor d;
  if (d.handle == nullptr) return env.Null();
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(d.handle, bytes.Data(), bytes.ByteLength(), &w, &h, &subsamp, &colorspace) != 0) return env.Null();
  if (colorspace != TJCS_YCbCr && colorspace != TJCS_GRAY) return env.Null();
  // A picture larger than this is left to sharp, which bounds its memory its own way.
  if (w < 1 || h < 1 || static_cast<int64_t>(w) * h > (int64_t{1} << 28)) return env.Null();
  // Where sharp would resize another way, it is left to: when enlarging, and when its own
  // shrink-on-load does not divide the picture evenly (it then resizes from a slightly
  // misscaled grid). Elsewhere the two agree within a level on average (test/data/jpeg-native).
  const double factor = std::min(static_cast<double>(w) / outW, static_cast<double>(h) / outH);
  if (w < outW || h < outH || w % SharpShrink(factor) != 0 || h % SharpShrink(factor) != 0) return env.Null();
  const int shrink = ShrinkOnLoad(factor);
  const tjscalingfactor scaling{1, shrink};
  const int sw = TJSCALED(w, scaling);
  const int sh = TJSCALED(h, scaling);
  std::vector<uint8_t> rgb(static_cast<size_t>(sw) * sh * 3);
  const int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(d.handle, bytes.Data(), bytes.ByteLength(), rgb.data(), sw, 0, sh, TJPF_RGB, flags) != 0) return env.Null();
  auto planes = Napi::Uint8Array::New(env, static_cast<size_t>(3) * outW * outH);
  ResizeToPlanes(rgb.data(), sw, sh, outW, outH, planes.Data());
  return planes;
}

}  // namespace

void InitImageDecode(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeJpegSync", Napi::Function::New(env, DecodeJpegSync));
}
