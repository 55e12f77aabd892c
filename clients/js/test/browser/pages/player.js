// The plain-<video> test page: attach() with the config the test put in window.PROGRESSD_TEST,
// and what the page saw (delivered pings, errors) kept on window for the test to read.
import { attach } from '/src/index.js';
import { trackerOptions } from './options.js';

const config = window.PROGRESSD_TEST;
const video = document.getElementById('video');
video.defaultPlaybackRate = config.playbackRate;
video.src = config.media;
video.playbackRate = config.playbackRate;
window.tracker = attach(video, trackerOptions(config));
window.testReady = true;
