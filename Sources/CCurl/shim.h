// libcurl's easy interface (Debian: libcurl4-openssl-dev). curl_easy_setopt and
// curl_easy_getinfo are variadic, which Swift cannot call: these typed wrappers can.
#include <curl/curl.h>

typedef size_t (*tern_curl_data_callback)(char *data, size_t size, size_t count, void *user);

static inline CURLcode tern_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode tern_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode tern_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode tern_curl_set_headers(CURL *curl, struct curl_slist *headers) {
    return curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
}
static inline CURLcode tern_curl_set_write_callback(CURL *curl, tern_curl_data_callback callback) {
    return curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, callback);
}
static inline CURLcode tern_curl_set_header_callback(CURL *curl, tern_curl_data_callback callback) {
    return curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, callback);
}
static inline CURLcode tern_curl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}
