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
 * Server pings are answered here (when JavaScript has turned it on for the socket): a read that is exactly
 * one Centrifugo ping — the JSON protocol's `{}` text frame, the Protobuf protocol's empty Reply — gets its
 * masked pong written straight to the fd, and JavaScript is not called at all. A ping arrives alone, ~80 a
 * second per 2,000 subscribers, each on its own wakeup; entering JavaScript for it (a callback scope, the
 * frame parser, the socket's write path) was most of a ping's cost. JavaScript turns it off while it
 * cannot be done safely (a partial frame pending, its own write in flight) and reads the last ping's time
 * for its dead-connection check from `ping_at_us`.
 *
 * Everything runs on the loop thread: no locks. Level-triggered, so a socket left unread (the batch's
 * buffer full, more than MAX_EVENTS ready) is reported again on the next turn. A read of 0 (EOF) or an
 * error removes the socket from the set; JavaScript then destroys the net.Socket, which closes the fd.
 *
 * Built on first use by build.ts (cc, Node's headers) into the user's cache; Linux only (epoll).
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <linux/sockios.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
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
static napi_ref on_batch_ref, buffer_ref, meta_ref, stamps_ref, ping_modes_ref, ping_at_ref, ping_counters_ref;
static napi_async_context async_context;
static uint8_t *buffer;
static size_t buffer_size;
static int32_t *meta;
static double *stamps;
/** Per socket id: 0 = pings go to JavaScript, PING_JSON / PING_PROTOBUF = answered here. */
static uint8_t *ping_modes;
static double *ping_at_us;
static size_t ping_capacity;
/** [pongs written here, pings handed back to JavaScript because the send queue was not empty]. */
static double *ping_counters;
/** Masking keys (RFC 6455 §5.3: unpredictable) from the kernel's generator, refilled when used up. */
static uint8_t mask_pool[4096];
static size_t mask_used = sizeof(mask_pool);

#define PING_JSON 1
#define PING_PROTOBUF 2

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

/**
 * A read that is exactly one server ping, on a socket whose pings are answered here: writes the pong and
 * returns 1. Returns 0 when the read goes to JavaScript as usual (not such a ping, or the socket's send
 * queue is not empty: JavaScript answers that one through the socket's own queue), or -errno when the
 * connection broke (a failed write; a partial one, which an empty queue rules out, could not be taken back).
 */
static int answer_ping(int fd, int32_t id, const uint8_t *bytes, ssize_t got) {
  if (id < 0 || (size_t)id >= ping_capacity) return 0;
  uint8_t mode = ping_modes[id];
  uint8_t pong[8];
  size_t length;
  if (mode == PING_JSON && got == 4 && bytes[0] == 0x81 && bytes[1] == 2 && bytes[2] == '{' && bytes[3] == '}') {
    length = 8;
    pong[0] = 0x81; // FIN, text
    pong[1] = 0x82; // masked, 2 bytes: {}
  } else if (mode == PING_PROTOBUF && got == 3 && bytes[0] == 0x82 && bytes[1] == 1 && bytes[2] == 0) {
    length = 7;
    pong[0] = 0x82; // FIN, binary
    pong[1] = 0x81; // masked, 1 byte: an empty Command's length prefix
  } else {
    return 0;
  }
  // Only into an empty send queue: then 8 bytes always go in whole. Bytes still queued (the server slow to
  // read) and JavaScript answers this ping through the socket's own queue, after them.
  int queued = 0;
  if (ioctl(fd, SIOCOUTQ, &queued) != 0 || queued > 0) {
    ping_counters[1]++;
    return 0;
  }
  if (mask_used + 4 > sizeof(mask_pool)) {
    if (getrandom(mask_pool, sizeof(mask_pool), 0) != (ssize_t)sizeof(mask_pool)) return 0;
    mask_used = 0;
  }
  const uint8_t *mask = mask_pool + mask_used;
  mask_used += 4;
  for (int i = 0; i < 4; i++) pong[2 + i] = mask[i];
  if (mode == PING_JSON) {
    pong[6] = '{' ^ mask[0];
    pong[7] = '}' ^ mask[1];
  } else {
    pong[6] = 0 ^ mask[0];
  }
  ssize_t written;
  do written = write(fd, pong, length);
  while (written < 0 && errno == EINTR);
  if (written == (ssize_t)length) {
    ping_counters[0]++;
    return 1;
  }
  ping_modes[id] = 0;
  if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    ping_counters[1]++;
    return 0;
  }
  return written < 0 ? -errno : -EPROTO;
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
    // Whole µs, truncated, as the run clock (mono-clock.ts: hrtime.bigint() / 1000n).
    double stamp = (double)((int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000);
    // Bytes read, or the end: 0 (EOF), -errno (the read failed, or the pong's write broke the connection).
    int32_t result = got < 0 ? -errno : (int32_t)got;
    if (got > 0) {
      int answered = answer_ping(fd, id, buffer + used, got);
      if (answered == 1) {
        ping_at_us[id] = stamp;
        continue;
      }
      if (answered < 0) result = answered;
    }
    meta[3 * count] = id;
    meta[3 * count + 1] = (int32_t)used;
    meta[3 * count + 2] = result;
    stamps[count] = stamp;
    if (result > 0) used += (size_t)result;
    else epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    count++;
  }
  if (count > 0) hand_over(count);
}

/**
 * The typed array `value` of `type` with at least `min_length` elements, or a TypeError naming `name`:
 * returns 0 after throwing.
 */
static int typed_array(napi_env env, napi_value value, napi_typedarray_type type, size_t min_length,
                       const char *name, void **data, size_t *length) {
  napi_typedarray_type actual;
  napi_value array_buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, value, &actual, length, data, &array_buffer, &byte_offset) != napi_ok ||
      actual != type || *length < min_length) {
    char message[128];
    snprintf(message, sizeof(message), "socket reader: %s is not a typed array of the right type and length", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  return 1;
}

/**
 * open(buffer, meta: Int32Array(3 × 512), stamps: Float64Array(512), onBatch(count), pingModes: Uint8Array(n),
 * pingAtUs: Float64Array(n), pingCounters: Float64Array(2)) — once a process; n bounds the socket ids whose
 * pings can be answered here.
 */
static napi_value Open(napi_env env, napi_callback_info info) {
  if (epoll_fd >= 0) {
    napi_throw_error(env, NULL, "socket reader: already open");
    return NULL;
  }
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "socket reader: open takes 7 arguments");
    return NULL;
  }
  void *data;
  size_t length;
  CHECK(napi_get_buffer_info(env, argv[0], &data, &length));
  buffer = data;
  buffer_size = length;
  size_t ping_length;
  if (!typed_array(env, argv[1], napi_int32_array, 3 * MAX_EVENTS, "meta", (void **)&meta, &length) ||
      !typed_array(env, argv[2], napi_float64_array, MAX_EVENTS, "stamps", (void **)&stamps, &length) ||
      !typed_array(env, argv[4], napi_uint8_array, 1, "pingModes", (void **)&ping_modes, &ping_capacity) ||
      !typed_array(env, argv[5], napi_float64_array, ping_capacity, "pingAtUs", (void **)&ping_at_us, &ping_length) ||
      !typed_array(env, argv[6], napi_float64_array, 2, "pingCounters", (void **)&ping_counters, &length)) {
    return NULL;
  }
  if (buffer_size < 2 * MIN_READ_SPACE) {
    napi_throw_range_error(env, NULL, "socket reader: the buffer must hold at least 128 KB");
    return NULL;
  }
  // The buffers are referenced for the process's life: C writes into them.
  CHECK(napi_create_reference(env, argv[0], 1, &buffer_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &meta_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &stamps_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &on_batch_ref));
  CHECK(napi_create_reference(env, argv[4], 1, &ping_modes_ref));
  CHECK(napi_create_reference(env, argv[5], 1, &ping_at_ref));
  CHECK(napi_create_reference(env, argv[6], 1, &ping_counters_ref));
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
