// What both test pages hand the SDK: the test's config (window.PROGRESSD_TEST) and callbacks that
// keep what the page saw (delivered pings, errors) on window for the test to read.
export function trackerOptions(config) {
  window.delivered = [];
  window.errors = [];
  return {
    url: config.url,
    token: config.token,
    contentId: config.contentId,
    ...config.options,
    onPing: (ping, result) => window.delivered.push({ ping, result }),
    onError: (error) => window.errors.push(String(error && (error.message || error))),
  };
}
