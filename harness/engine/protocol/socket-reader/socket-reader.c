/*
 * The subscriber workers' native socket reader (issue 18): one epoll set holding a worker's upgraded
 * WebSocket sockets, watched by one libuv poll handle on Node's own loop. When the set is readable, every
 * ready socket is read here, into one buffer the JavaScript side owns, and JavaScript is called ONCE with
 * the batch: (socket id, offset, bytes or -errno) per read in `meta`, the read's CLOCK_MONOTONIC in µs in
 * `stamps`. Node's own path costs, per socket read, a libuv callback, a C++ → JavaScript call (with its
 * microtask and tick checkpoint) and Node's stream glue; here that is paid once per wakeup. The frames are
 * parsed in JavaScript as before (raw-websocket.ts); writes (pongs, commands) still go through the
 * net.Socket, which keeps its fd — only its reading is stopped (readStop) before the fd is added here.
 *
 * Everything runs on the loop thread: no locks. Level-triggered, so a socket left unread (the batch's
 * buffer full, more than MAX_EVENTS ready) is reported again on the next turn. A read of 0 (EOF) or an
 * error removes the socket from the set; JavaScript then destroys the net.Socket, which closes the fd.
 *
 * Built on first use by build.ts (cc, Node's headers) into the user's cache; Linux only (epoll).
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/** Reads per epoll_wait; the meta and stamps arrays hold this many entries. */
#define MAX_EVENTS 512
/** A read gets at least this much room; with less left, the batch so far is handed over first. */
#define MIN_READ_SPACE 65536

static int epoll_fd = -1;
static uv_poll_t poll_handle;
static napi_env batch_env;
static napi_ref on_batch_ref, buffer_ref, meta_ref, stamps_ref;
static napi_async_context async_context;
static uint8_t *buffer;
static size_t buffer_size;
static int32_t *meta;
static double *stamps;

#define CHECK(call)                                                                                          \
  do {                                                                                                       \
    if ((call) != napi_ok) {                                                                                 \
      napi_throw_error(env, NULL, "socket reader: " #call " failed");                                      \
      return NULL;                                                                                           \
    }                                                                                                        \
  } while (0)

/** Calls onBatch(count); an exception in it is the process's uncaught exception, as in any callback. */
static void hand_over(int count) {
  napi_env env = batch_env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value on_batch, receiver, argv[1], result;
  napi_get_reference_value(env, on_batch_ref, &on_batch);
  napi_get_global(env, &receiver);
  napi_create_int32(env, count, &argv[0]);
  if (napi_make_callback(env, async_context, receiver, on_batch, 1, argv, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)handle;
  (void)status;
  (void)events;
  struct epoll_event ready[MAX_EVENTS];
  int n = epoll_wait(epoll_fd, ready, MAX_EVENTS, 0);
  if (n <= 0) return;
  size_t used = 0;
  int count = 0;
  struct timespec now;
  for (int i = 0; i < n; i++) {
    if (buffer_size - used < MIN_READ_SPACE) {
      hand_over(count);
      used = 0;
      count = 0;
    }
    int fd = (int)(ready[i].data.u64 & 0xffffffffu);
    int32_t id = (int32_t)(ready[i].data.u64 >> 32);
    ssize_t got;
    do got = read(fd, buffer + used, buffer_size - used);
    while (got < 0 && errno == EINTR);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    clock_gettime(CLOCK_MONOTONIC, &now);
    meta[3 * count] = id;
    meta[3 * count + 1] = (int32_t)used;
    meta[3 * count + 2] = got < 0 ? -errno : (int32_t)got;
    // Whole µs, truncated, as the run clock (mono-clock.ts: hrtime.bigint() / 1000n).
    stamps[count] = (double)((int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000);
    if (got > 0) used += (size_t)got;
    else epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    count++;
  }
  if (count > 0) hand_over(count);
}

/** open(buffer, meta: Int32Array(3 × 512), stamps: Float64Array(512), onBatch(count)) — once a process. */
static napi_value Open(napi_env env, napi_callback_info info) {
  if (epoll_fd >= 0) {
    napi_throw_error(env, NULL, "socket reader: already open");
    return NULL;
  }
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t length;
  napi_typedarray_type type;
  napi_value array_buffer;
  size_t byte_offset;
  CHECK(napi_get_buffer_info(env, argv[0], &data, &length));
  buffer = data;
  buffer_size = length;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, &array_buffer, &byte_offset));
  if (type != napi_int32_array || length < 3 * MAX_EVENTS) {
    napi_throw_type_error(env, NULL, "socket reader: meta must be an Int32Array of 3 × 512");
    return NULL;
  }
  meta = data;
  CHECK(napi_get_typedarray_info(env, argv[2], &type, &length, &data, &array_buffer, &byte_offset));
  if (type != napi_float64_array || length < MAX_EVENTS) {
    napi_throw_type_error(env, NULL, "socket reader: stamps must be a Float64Array of 512");
    return NULL;
  }
  stamps = data;
  if (buffer_size < 2 * MIN_READ_SPACE) {
    napi_throw_range_error(env, NULL, "socket reader: the buffer must hold at least 128 KB");
    return NULL;
  }
  // The buffers are referenced for the process's life: C writes into them.
  CHECK(napi_create_reference(env, argv[0], 1, &buffer_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &meta_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &stamps_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &on_batch_ref));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "SocketReader", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &async_context));
  batch_env = env;
  struct uv_loop_s *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0 || uv_poll_init(loop, &poll_handle, epoll_fd) != 0 ||
      uv_poll_start(&poll_handle, UV_READABLE, on_readable) != 0) {
    napi_throw_error(env, NULL, "socket reader: epoll / uv_poll set-up failed");
    return NULL;
  }
  // The sockets keep the loop alive as they would in Node's own path; the watcher itself does not.
  uv_unref((uv_handle_t *)&poll_handle);
  return NULL;
}

/** add(fd, id): reads of fd are reported with id. Throws when the fd cannot be watched. */
static napi_value Add(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, id;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &id));
  struct epoll_event event = {.events = EPOLLIN, .data.u64 = ((uint64_t)(uint32_t)id << 32) | (uint32_t)fd};
  if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    napi_throw_error(env, NULL, "socket reader: epoll_ctl(ADD) failed");
  }
  return NULL;
}

/** remove(fd): stops watching fd (already removed, or closed: nothing to do). */
static napi_value Remove(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (epoll_fd >= 0) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"add", NULL, Add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"remove", NULL, Remove, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 3, properties);
  return exports;
}
