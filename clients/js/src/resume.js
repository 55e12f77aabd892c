// Resume: read the record and, once the media knows its duration, seek to where the user left
// off — unless the record is completed, that point is near the end, or the user has already
// moved the playhead.

import { ProgressdError } from './errors.js';

/**
 * @returns {Promise<number|null>} the position seeked to, or null; never rejects
 */
export async function resume({ api, tracker, media, contentId, contextId, userId, nearEndSeconds, report }) {
    let record;
    try {
        record = await api.getRecord(contentId, contextId, userId);
    } catch (error) {
        const message = `cannot read the position to resume: ${error.message}`;
        report(new ProgressdError('resume', message, { status: error.status, problem: error.problem, cause: error }));
        return null;
    }
    if (!record || record.completed === true || record.status === 2) return null;
    const position = Number(record.position_seconds);
    if (!Number.isFinite(position) || position <= 0) return null;
    if (!(await tracker.whenMetadata())) return null;
    if (tracker.detached || tracker.userSeeked) return null;
    const duration = Number.isFinite(media.duration) ? media.duration : Number(record.duration_seconds);
    if (Number.isFinite(duration) && position >= duration - nearEndSeconds) return null;
    tracker.seekForResume(position);
    return position;
}
