// Tensors over memory-mapped files. The decode cache stores a media column as one array
// file; mapping it instead of reading it keeps the data set in the page cache (file-backed
// memory the kernel can drop and share), not in the process's anonymous memory, so a
// process training on 50,000 rows holds no more private memory than one training on 2,000.
#include "common.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <malloc.h>

#include <cerrno>
#include <cstring>

namespace mf {

using Info = Napi::CallbackInfo;

// mapFile(path, byteOffset, shape, dtype): a CPU tensor viewing the file's bytes from
// byteOffset on. The mapping is private and writable (copy-on-write), so an accidental
// in-place op changes this process's copy only, never the cache file; it is unmapped when
// the last tensor sharing its storage is freed.
static Napi::Value MapFile(const Info& info) {
  auto env = info.Env();
  std::string path = String(info[0]);
  int64_t offset = Int(info[1]);
  auto shape = IntList(info[2]);
  auto dtype = DType(info[3]);
  int64_t numel = 1;
  for (auto s : shape) numel *= s;
  int64_t bytes = numel * static_cast<int64_t>(c10::elementSize(dtype));
  long page = sysconf(_SC_PAGESIZE);
  if (offset < 0 || offset % page != 0) throw Napi::RangeError::New(env, "mapFile: offset must be a multiple of the page size");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Napi::Error::New(env, "mapFile: cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size < offset + bytes) {
    close(fd);
    throw Napi::RangeError::New(env, "mapFile: " + path + " is shorter than the array it should hold");
  }
  if (bytes == 0) {
    close(fd);
    return Wrap(env, at::empty(shape, at::TensorOptions().dtype(dtype)));
  }
  void* base = mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, offset);
  close(fd);  // the mapping keeps the file open
  if (base == MAP_FAILED) throw Napi::Error::New(env, "mapFile: cannot map " + path + ": " + std::strerror(errno));
  size_t length = static_cast<size_t>(bytes);
  auto tensor = at::from_blob(
      base, shape, [length](void* p) { munmap(p, length); }, at::TensorOptions().dtype(dtype));
  return Wrap(env, tensor);
}

// trimMemory(): hands the C heap's free pages back to the system. Decoding thousands of
// files leaves glibc's arenas holding memory that the process will not need again.
static Napi::Value TrimMemory(const Info& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// A training step allocates and frees the same large activations every time. With glibc's
// defaults, buffers above the (adaptive) mmap threshold are mapped and unmapped per step,
// and the free top of the heap is handed back whenever it passes the trim threshold, so
// every step page-faults its activations in again: 2-3x the time of a step of the
// standard preset on 2 cores. Keep them in the heap; trimMemory() after each epoch
// still returns what a run no longer needs.
static void KeepActivationsInHeap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed threshold on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

void InitMapped(Napi::Env env, Napi::Object exports) {
  KeepActivationsInHeap();
  Def(env, exports, "mapFile", MapFile);
  Def(env, exports, "trimMemory", TrimMemory);
}

}  // namespace mf
