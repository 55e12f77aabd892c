// The video.js test page: the plugin registered on the global videojs, then
// player.progressd(options) with the test's config (window.PROGRESSD_TEST).
import { registerProgressdPlugin } from '/src/videojs.js';
import { trackerOptions } from './options.js';

const config = window.PROGRESSD_TEST;
registerProgressdPlugin(window.videojs);
const player = window.videojs('player', { playbackRates: [1, 2, 4] });
window.player = player;
player.defaultPlaybackRate(config.playbackRate);
player.src({ src: config.media, type: 'video/webm' });
player.playbackRate(config.playbackRate);
window.tracker = player.progressd(trackerOptions(config));
window.testReady = true;
