// Audio decoding with libsndfile and libmpg123, off the JavaScript thread. A separate addon
// from the engine so that a machine without them still trains (on the WebAssembly
// decoders) and so that loading it never loads libtorch.
//
// libsndfile recognises the container and decodes everything but MPEG audio. MP3 goes to
// libmpg123 itself: libsndfile stops an MP3 at the length mpg123 estimates from its first
// frame, which cuts a VBR file without a Xing header (as lamejs writes them) short.
//
// decodeAudio(bytes: Uint8Array, keepSeconds: number) → Promise<{
//   sampleRate, channels, frames,   // frames: every frame the stream held
//   mono: Float32Array,              // the first keepSeconds, channels averaged
//   nonFiniteFrame,                  // first frame with a NaN or infinite sample, or -1
//   format                           // libsndfile's name of the major format
// }>
// It rejects with libsndfile's own message when the bytes cannot be opened or decoding
// fails part way. The whole stream is decoded even when only its start is kept: the caller
// compares the frame count with what the container declares, to tell a cut file.
// decodeAudioSync(bytes, keepSeconds) is the same on the calling thread (it throws where
// decodeAudio rejects), for worker threads.
#include <mpg123.h>
#include <napi.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

// libsndfile reads through these callbacks from the caller's bytes; no temporary file.
struct MemoryFile {
  const uint8_t* data;
  sf_count_t size;
  sf_count_t position;
};

sf_count_t FileLength(void* user) { return static_cast<MemoryFile*>(user)->size; }

// As lseek: a position past the end is allowed (reads there return nothing); one before
// the start, or beyond what sf_count_t holds (a 64-bit chunk size in RF64/W64), is not.
sf_count_t Seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t base = whence == SEEK_CUR ? f->position : whence == SEEK_END ? f->size : 0;
  if (offset < -base || (offset > 0 && offset > std::numeric_limits<sf_count_t>::max() - base)) return -1;
  f->position = base + offset;
  return f->position;
}

sf_count_t Read(void* out, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  if (f->position >= f->size) return 0;
  sf_count_t n = std::max<sf_count_t>(0, std::min(count, f->size - f->position));
  std::memcpy(out, f->data + f->position, static_cast<size_t>(n));
  f->position += n;
  return n;
}

sf_count_t Write(const void*, sf_count_t, void*) { return 0; }

sf_count_t Tell(void* user) { return static_cast<MemoryFile*>(user)->position; }

struct Decoded {
  int sampleRate = 0;
  int channels = 0;
  int64_t frames = 0;
  int64_t nonFiniteFrame = -1;
  std::vector<float> mono;
  std::string format;
  // "wav", "flac", "ogg" or "mp3" when the WebAssembly decoders read the same files to the
  // same samples; "other" for what only libsndfile reads (AU, W64, µ-law WAV, ...), which
  // the caller leaves to the WebAssembly decoders so that every machine accepts the same files.
  std::string container = "other";
};

std::string ContainerOf(int format) {
  const int major = format & SF_FORMAT_TYPEMASK;
  const int sub = format & SF_FORMAT_SUBMASK;
  switch (major) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
      switch (sub) {
        // 8-bit WAV is left out: the WebAssembly decoder scales it by 1/127, not 1/128.
        case SF_FORMAT_PCM_16:
        case SF_FORMAT_PCM_24:
        case SF_FORMAT_PCM_32:
        case SF_FORMAT_FLOAT:
        case SF_FORMAT_DOUBLE:
          return "wav";
        default:
          return "other";
      }
    case SF_FORMAT_FLAC:
      return "flac";
    case SF_FORMAT_OGG:
      return sub == SF_FORMAT_VORBIS ? "ogg" : "other";
    default:
      return "other";
  }
}

std::string FormatName(int format) {
  SF_FORMAT_INFO info{};
  info.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) != 0 || info.name == nullptr) return "unknown";
  return info.name;
}

// Takes interleaved frames as they are decoded: counts them, finds the first non-finite
// sample, and mixes the first `keep` frames to mono. Mixing matches the JavaScript path
// sample for sample: float32 sums in channel order, then one multiplication by 1/channels
// carried out in double and rounded once.
class MonoMixer {
 public:
  MonoMixer(Decoded& out, double keepSeconds) : out_(out), keepSeconds_(keepSeconds) {}

  void Start(int sampleRate, int channels, int64_t framesHint) {
    out_.sampleRate = sampleRate;
    out_.channels = channels;
    // Clamped: a huge keepSeconds must not overflow the conversion.
    keep_ = static_cast<int64_t>(std::min(std::ceil(keepSeconds_ * sampleRate), 9.0e15));
    bool believable = framesHint > 0 && framesHint < (int64_t{1} << 40);
    out_.mono.reserve(static_cast<size_t>(std::max<int64_t>(0, believable ? std::min(keep_, framesHint) : 0)));
  }

  void Add(const float* interleaved, int64_t frames) {
    const int channels = out_.channels;
    const int64_t samples = frames * channels;
    // A sample is non-finite exactly when its exponent bits are all set. Tested as integers,
    // with no early exit, the loop vectorises; the frame is searched for only when one is found.
    if (out_.nonFiniteFrame < 0 && HasNonFinite(interleaved, samples)) {
      for (int64_t i = 0; i < samples; i++) {
        if (!std::isfinite(interleaved[i])) {
          out_.nonFiniteFrame = out_.frames + i / channels;
          break;
        }
      }
    }
    const int64_t mixed = std::max<int64_t>(0, std::min(frames, keep_ - out_.frames));
    if (mixed > 0) {
      size_t at = out_.mono.size();
      out_.mono.resize(at + static_cast<size_t>(mixed));
      float* mono = out_.mono.data() + at;
      if (channels == 1) {
        std::memcpy(mono, interleaved, static_cast<size_t>(mixed) * sizeof(float));
      } else if (channels == 2) {
        // The general case's sum and rounding: halving is exact in float as in double, and
        // starting from +0 gives the same sign of zero.
        for (int64_t i = 0; i < mixed; i++) mono[i] = ((0.0f + interleaved[2 * i]) + interleaved[2 * i + 1]) * 0.5f;
      } else {
        const double scale = 1.0 / channels;
        for (int64_t i = 0; i < mixed; i++) {
          const float* frame = interleaved + i * channels;
          float sum = 0.0f;
          for (int c = 0; c < channels; c++) sum += frame[c];
          mono[i] = static_cast<float>(static_cast<double>(sum) * scale);
        }
      }
    }
    out_.frames += frames;
  }

  static bool HasNonFinite(const float* x, int64_t n) {
    uint32_t found = 0;
    for (int64_t i = 0; i < n; i++) {
      uint32_t bits;
      std::memcpy(&bits, x + i, sizeof bits);
      found |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    return found != 0;
  }

 private:
  Decoded& out_;
  double keepSeconds_;
  int64_t keep_ = 0;
};

void DecodeMpeg(const uint8_t* bytes, size_t size, MonoMixer& mixer, Decoded& out, std::string& error) {
  int status = MPG123_OK;
  mpg123_handle* mh = mpg123_new(nullptr, &status);
  if (mh == nullptr) {
    error = mpg123_plain_strerror(status);
    return;
  }
  // Float output, as the WebAssembly build of the same library gives; no messages on stderr.
  mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_FORCE_FLOAT | MPG123_QUIET, 0.0);
  if (mpg123_open_feed(mh) != MPG123_OK || mpg123_feed(mh, bytes, size) != MPG123_OK) {
    error = mpg123_strerror(mh);
    mpg123_delete(mh);
    return;
  }
  std::vector<float> block(16384);
  bool started = false;
  for (;;) {
    size_t got = 0;
    status = mpg123_read(mh, block.data(), block.size() * sizeof(float), &got);
    if (status == MPG123_NEW_FORMAT) {
      long rate = 0;
      int channels = 0, encoding = 0;
      mpg123_getformat(mh, &rate, &channels, &encoding);
      if (encoding != MPG123_ENC_FLOAT_32) {
        error = "libmpg123 gave no 32-bit float output";
        break;
      }
      if (started && (rate != out.sampleRate || channels != out.channels)) {
        error = "sample rate or channel count changes within the stream";
        break;
      }
      if (!started) mixer.Start(static_cast<int>(rate), channels, -1);
      started = true;
    }
    if (got > 0 && started) mixer.Add(block.data(), static_cast<int64_t>(got / sizeof(float)) / out.channels);
    // Everything was fed at once: needing more means the stream has ended.
    if (status == MPG123_NEED_MORE || status == MPG123_DONE) break;
    if (status != MPG123_OK && status != MPG123_NEW_FORMAT) {
      error = mpg123_strerror(mh);
      break;
    }
  }
  if (error.empty() && !started) error = "no MPEG audio frames";
  out.format = "MPEG-1/2 Audio";
  out.container = "mp3";
  mpg123_delete(mh);
}

void Decode(const uint8_t* bytes, size_t size, double keepSeconds, Decoded& out, std::string& error) {
  MemoryFile file{bytes, static_cast<sf_count_t>(size), 0};
  SF_VIRTUAL_IO io{FileLength, Seek, Read, Write, Tell};
  SF_INFO info{};
  SNDFILE* sf = sf_open_virtual(&io, SFM_READ, &info, &file);
  if (sf == nullptr) {
    error = sf_strerror(nullptr);
    return;
  }
  MonoMixer mixer(out, keepSeconds);
  if ((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG) {
    sf_close(sf);
    DecodeMpeg(bytes, size, mixer, out, error);
    return;
  }
  out.format = FormatName(info.format);
  out.container = ContainerOf(info.format);
  if (info.channels < 1 || info.samplerate < 1) {
    sf_close(sf);
    error = "no channels or no sample rate";
    return;
  }
  sf_command(sf, SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
  mixer.Start(info.samplerate, info.channels, info.frames);
  constexpr sf_count_t kBlock = 4096;
  std::vector<float> block(static_cast<size_t>(kBlock * info.channels));
  for (;;) {
    sf_count_t got = sf_readf_float(sf, block.data(), kBlock);
    if (got <= 0) break;
    mixer.Add(block.data(), got);
  }
  if (sf_error(sf) != SF_ERR_NO_ERROR) error = sf_strerror(sf);
  sf_close(sf);
}

Napi::Object ResultOf(Napi::Env env, const Decoded& decoded) {
  auto result = Napi::Object::New(env);
  result.Set("sampleRate", Napi::Number::New(env, decoded.sampleRate));
  result.Set("channels", Napi::Number::New(env, decoded.channels));
  result.Set("frames", Napi::Number::New(env, static_cast<double>(decoded.frames)));
  result.Set("nonFiniteFrame", Napi::Number::New(env, static_cast<double>(decoded.nonFiniteFrame)));
  result.Set("format", Napi::String::New(env, decoded.format));
  result.Set("container", Napi::String::New(env, decoded.container));
  auto mono = Napi::Float32Array::New(env, decoded.mono.size());
  std::memcpy(mono.Data(), decoded.mono.data(), decoded.mono.size() * sizeof(float));
  result.Set("mono", mono);
  return result;
}

class DecodeWorker : public Napi::AsyncWorker {
 public:
  // The bytes are copied: a caller's buffer could be detached or changed while a pool
  // thread reads it, and a copy costs little next to decoding.
  DecodeWorker(Napi::Env env, Napi::Uint8Array bytes, double keepSeconds)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        bytes_(bytes.Data(), bytes.Data() + bytes.ByteLength()),
        keepSeconds_(keepSeconds) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    std::string error;
    Decode(bytes_.data(), bytes_.size(), keepSeconds_, decoded_, error);
    if (!error.empty()) SetError(error);
  }

  void OnOK() override { deferred_.Resolve(ResultOf(Env(), decoded_)); }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<uint8_t> bytes_;
  double keepSeconds_;
  Decoded decoded_;
};

struct DecodeArgs {
  Napi::Uint8Array bytes;
  double keepSeconds;
};

DecodeArgs ArgsOf(const Napi::CallbackInfo& info, const char* name) {
  auto env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, std::string(name) + "(bytes: Uint8Array, keepSeconds: number)");
  }
  double keepSeconds = info[1].As<Napi::Number>().DoubleValue();
  if (!(keepSeconds >= 0) || !std::isfinite(keepSeconds)) throw Napi::RangeError::New(env, std::string(name) + ": keepSeconds must be a finite number >= 0");
  return {info[0].As<Napi::Uint8Array>(), keepSeconds};
}

Napi::Value DecodeAudio(const Napi::CallbackInfo& info) {
  auto args = ArgsOf(info, "decodeAudio");
  auto* worker = new DecodeWorker(info.Env(), args.bytes, args.keepSeconds);
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

// The same decoding on the calling thread, for worker threads whose job is to decode: a hop
// to libuv's pool would only make them wait on its few threads.
Napi::Value DecodeAudioSync(const Napi::CallbackInfo& info) {
  auto args = ArgsOf(info, "decodeAudioSync");
  Decoded decoded;
  std::string error;
  Decode(args.bytes.Data(), args.bytes.ByteLength(), args.keepSeconds, decoded, error);
  if (!error.empty()) throw Napi::Error::New(info.Env(), error);
  return ResultOf(info.Env(), decoded);
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::string(sf_version_string()) + ", libmpg123 (API " + std::to_string(MPG123_API_VERSION) + ")");
}

}  // namespace

#ifdef MF_TURBOJPEG
void InitImageDecode(Napi::Env env, Napi::Object exports);  // image_decode.cc
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mpg123_init();  // required before libmpg123 1.27, harmless after
  exports.Set("decodeAudio", Napi::Function::New(env, DecodeAudio));
  exports.Set("decodeAudioSync", Napi::Function::New(env, DecodeAudioSync));
  exports.Set("version", Napi::Function::New(env, Version));
#ifdef MF_TURBOJPEG
  InitImageDecode(env, exports);
#endif
  return exports;
}

NODE_API_MODULE(modalfuse_media, Init)
