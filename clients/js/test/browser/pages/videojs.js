// The video.js test page: the plugin registered on the global videojs, then
// player.progressd(options) with the test's config (window.PROGRESSD_TEST).
import { registerProgressdPlugin } from '/src/videojs.js';

const config = window.PROGRESSD_TEST;
window.delivered = [];
window.errors = [];
registerProgressdPlugin(window.videojs);
const player = window.videojs('player', { playbackRates: [1, 2, 4] });
window.player = player;
player.defaultPlaybackRate(config.playbackRate);
player.src({ src: config.media, type: 'video/webm' });
player.playbackRate(config.playbackRate);
window.tracker = player.progressd({
  url: config.url,
  token: config.token,
  contentId: config.contentId,
  ...config.options,
  onPing: (ping, result) => window.delivered.push({ ping, result }),
  onError: (error) => window.errors.push(String(error && (error.message || error))),
});
window.testReady = true;
