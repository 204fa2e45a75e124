// inotify for the normalizer's walk cache (core/normalize/tree-watch.ts). A reused walk of a
// directory tree must see any entry created, removed or renamed in it since it was listed;
// stat-ing every directory again costs one system call each per decision. inotify queues its
// events in the kernel inside the system call that made the change, so a non-blocking read of
// the queue, made synchronously just before a decision, sees every change that happened before
// it. Node's fs.watch delivers the same events only on a later turn of the event loop, which a
// synchronous decision never waits for. Mount-table changes (a bind mount over a watched
// directory makes no inotify event) are seen by polling /proc/self/mountinfo for POLLPRI.
// Linux only; elsewhere open() throws and the caller keeps stat-ing.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <node_api.h>
#ifdef __linux__
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>
#endif

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int int_arg(napi_env env, napi_callback_info info, size_t count, int32_t *out) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count) return 0;
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) return 0;
  }
  return 1;
}

static napi_value make_int(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

#ifdef __linux__
// What changes a directory's listing, or whether it can be listed: entries created, removed or
// renamed in it, and the directory itself moved, removed or its mode changed.
#define WATCH_MASK \
  (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)

// open(): [inotify fd, mountinfo fd]. Both close-on-exec and non-blocking.
static napi_value open_watch(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return throw_error(env, strerror(errno));
  int mounts = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (mounts < 0) {
    int saved = errno;
    close(fd);
    return throw_error(env, strerror(saved));
  }
  // The first poll reports the table as changed relative to nothing: consume it now.
  struct pollfd p = {mounts, POLLPRI, 0};
  (void)poll(&p, 1, 0);
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, make_int(env, fd));
  napi_set_element(env, result, 1, make_int(env, mounts));
  return result;
}

// add(fd, path): the watch descriptor, or -errno. Follows a final symlink (a link the walk
// entered is watched at its target); IN_ONLYDIR refuses anything but a directory.
static napi_value add_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    return throw_error(env, "add(fd, path): a descriptor and a path are required");
  }
  char path[4097];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[1], path, sizeof(path), &length) != napi_ok) {
    return throw_error(env, "add(fd, path): path must be a string");
  }
  if (length >= sizeof(path) - 1) return make_int(env, -ENAMETOOLONG);
  if (strlen(path) != length) return make_int(env, -EINVAL);
  int wd = inotify_add_watch(fd, path, WATCH_MASK);
  return make_int(env, wd < 0 ? -errno : wd);
}

// remove(fd, wd)
static napi_value remove_watch(napi_env env, napi_callback_info info) {
  int32_t args[2];
  if (!int_arg(env, info, 2, args)) return throw_error(env, "remove(fd, wd): two integers are required");
  (void)inotify_rm_watch(args[0], args[1]);
  return NULL;
}

// drain(fd, mounts): null when nothing relevant happened; otherwise an array of the watch
// descriptors whose directory changed, holding -1 when everything must be thrown away (the
// queue overflowed, reading it failed, or the mount table changed).
static napi_value drain(napi_env env, napi_callback_info info) {
  int32_t args[2];
  if (!int_arg(env, info, 2, args)) return throw_error(env, "drain(fd, mounts): two integers are required");
  napi_value result = NULL;
  uint32_t count = 0;
  struct pollfd p = {args[1], POLLPRI, 0};
  if (poll(&p, 1, 0) != 0) {
    // A change of the mount table, or an error polling it: either way nothing can be trusted.
    napi_create_array(env, &result);
    napi_set_element(env, result, count++, make_int(env, -1));
  }
  char buffer[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t length = read(args[0], buffer, sizeof(buffer));
    if (length < 0 && errno == EINTR) continue;
    if (length <= 0) {
      if (length < 0 && errno != EAGAIN) {
        if (result == NULL) napi_create_array(env, &result);
        napi_set_element(env, result, count++, make_int(env, -1));
      }
      break;
    }
    for (char *at = buffer; at < buffer + length;) {
      const struct inotify_event *event = (const struct inotify_event *)at;
      at += sizeof(struct inotify_event) + event->len;
      int32_t changed;
      if (event->mask & IN_Q_OVERFLOW) {
        changed = -1;
      } else if (event->len > 0 && !(event->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO))) {
        // A file inside had its attributes changed (touch, chmod): the listing is the same,
        // and a subdirectory's own mode change reaches its own watch.
        continue;
      } else {
        changed = event->wd;
      }
      if (result == NULL) napi_create_array(env, &result);
      napi_set_element(env, result, count++, make_int(env, changed));
    }
  }
  if (result == NULL) napi_get_null(env, &result);
  return result;
}
#else
static napi_value unsupported(napi_env env, napi_callback_info info) {
  (void)info;
  return throw_error(env, "inotify is not available on this platform");
}
#define open_watch unsupported
#define add_watch unsupported
#define remove_watch unsupported
#define drain unsupported
#endif

static napi_value init(napi_env env, napi_value exports) {
  const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {{"open", open_watch}, {"add", add_watch}, {"remove", remove_watch}, {"drain", drain}};
  for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
