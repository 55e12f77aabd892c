// The plain-<video> test page: attach() with the config the test put in window.PROGRESSD_TEST,
// and what the page saw (delivered pings, errors) kept on window for the test to read.
import { attach } from '/src/index.js';

const config = window.PROGRESSD_TEST;
const video = document.getElementById('video');
window.delivered = [];
window.errors = [];
video.defaultPlaybackRate = config.playbackRate;
video.src = config.media;
video.playbackRate = config.playbackRate;
window.tracker = attach(video, {
  url: config.url,
  token: config.token,
  contentId: config.contentId,
  ...config.options,
  onPing: (ping, result) => window.delivered.push({ ping, result }),
  onError: (error) => window.errors.push(String(error && (error.message || error))),
});
window.testReady = true;
