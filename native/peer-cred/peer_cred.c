// SO_PEERCRED for Node: the uid, gid and pid of the process at the other end of a connected
// Unix domain socket, as the kernel recorded them at connect time. Node has no API for it.
// Linux only; elsewhere the function reports that it is unsupported and callers fail closed.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <node_api.h>
#ifdef __linux__
#include <sys/socket.h>
#endif

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    return throw_error(env, "peerCredentials(fd): a file descriptor is required");
  }
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    return throw_error(env, "peerCredentials(fd): fd must be a non-negative integer");
  }
#ifdef __linux__
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
    return throw_error(env, strerror(errno));
  }
  napi_value result, uid, gid, pid;
  napi_create_object(env, &result);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_create_int32(env, cred.pid, &pid);
  napi_set_named_property(env, result, "uid", uid);
  napi_set_named_property(env, result, "gid", gid);
  napi_set_named_property(env, result, "pid", pid);
  return result;
#else
  (void)fd;
  return throw_error(env, "SO_PEERCRED is not supported on this platform");
#endif
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, peer_credentials, NULL, &fn);
  napi_set_named_property(env, exports, "peerCredentials", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
