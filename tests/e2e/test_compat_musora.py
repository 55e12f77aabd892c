"""Musora reset (seeds/musora-reset-progress.md, docs/compat-musora.md) end to end: the
document's request example (jQuery's form-encoded PUT) and the query and JSON variants, sent to a
real server whose catalog holds the document's course; the answer must be the document's
response example, field for field."""

import copy
import json
import unittest
import uuid

from clients import PingClient
from progressd_fixture import ServerCase

SEED_RESPONSE = json.loads(r'''
{
  "id": 283669,
  "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/283669-card-thumbnail-1613767216.png",
  "type": "course",
  "published_on": "2021/02/20 16:00:00",
  "status": "published",
  "title": "Heavy Metal Drum Fills",
  "completed": false,
  "started": true,
  "progress_percent": 0,
  "is_added_to_primary_playlist": false,
  "instructors": ["Ash Pearson"],
  "description": "Looking to increase your fill vocabulary? Play some fills that are heavy? This course will teach you what makes a fill work in the metal style, you will learn a bunch of great fills and learn some ways to develop these ideas and make them your own heavy metal fills!",
  "xp": 1700,
  "xp_bonus": "500",
  "duration": 1690,
  "like_count": 1,
  "current_lesson": {
    "id": 292037, "type": "course-part", "published_on": "2021/02/20 16:00:00", "completed": false,
    "started": true, "progress_percent": 0, "is_added_to_primary_playlist": false,
    "title": "What Makes A Fill A Heavy Metal Drum Fill?", "length_in_seconds": "92",
    "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/292037-card-thumbnail-1613767181.png"
  },
  "lessons": [
    {"id": 292037, "type": "course-part", "published_on": "2021/02/20 16:00:00", "completed": false,
     "started": true, "progress_percent": 0, "is_added_to_primary_playlist": false,
     "title": "What Makes A Fill A Heavy Metal Drum Fill?", "length_in_seconds": "92",
     "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/292037-card-thumbnail-1613767181.png"},
    {"id": 292038, "type": "course-part", "published_on": "2021/02/20 16:00:00", "completed": false,
     "started": true, "progress_percent": 0, "is_added_to_primary_playlist": false,
     "title": "Doubles & Quads", "length_in_seconds": "424",
     "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/292038-card-thumbnail-1613767045.png"},
    {"id": 292039, "type": "course-part", "published_on": "2021/02/20 16:00:00", "completed": false,
     "started": false, "progress_percent": 0, "is_added_to_primary_playlist": false,
     "title": "8th Note Triplet & 16th Note Triplet Applications", "length_in_seconds": "532",
     "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/292039-card-thumbnail-1613766853.png"},
    {"id": 292040, "type": "course-part", "published_on": "2021/02/20 16:00:00", "completed": false,
     "started": false, "progress_percent": 0, "is_added_to_primary_playlist": false,
     "title": "Over-The-Barline Ideas", "length_in_seconds": "223",
     "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/292040-card-thumbnail-1613766711.png"},
    {"id": 292042, "type": "course-part", "published_on": "2021/02/20 16:00:00", "completed": false,
     "started": false, "progress_percent": 0, "is_added_to_primary_playlist": false,
     "title": "32nd Note Applications", "length_in_seconds": "261",
     "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/292042-card-thumbnail-1613766532.png"},
    {"id": 292043, "type": "course-part", "published_on": "2021/02/20 16:00:00", "completed": false,
     "started": false, "progress_percent": 0, "is_added_to_primary_playlist": false,
     "title": "Conclusion", "length_in_seconds": "158",
     "thumbnail_url": "https://d1923uyy6spedc.cloudfront.net/292043-card-thumbnail-1613766626.png"}
  ],
  "instructor": [
    {"id": 31896, "name": "Ash Pearson",
     "biography": "Ash Pearson is the drummer for heavy-metal band 3 Inches of Blood, and was formerly in Angel Grinder and Sound of Swarm. Passionate about music and a masterful metal drummer, Ash is serious about his craft, learning as much about other styles of music and drumming as possible. He loves sharing his knowledge about music and drums, having been teaching for years as a clinician and private instructor.",
     "head_shot_picture_url": "https://s3.amazonaws.com/drumeo-assets/instructors/ash-pearson.png?v=1513185407"}
  ]
}
''')

PROGRESS_FIELDS = {"id", "type", "title", "completed", "started", "progress_percent", "length_in_seconds"}
COURSE_FIELDS = {"id", "type", "title", "completed", "started", "progress_percent", "duration",
                 "current_lesson", "lessons"}
STANDALONE = "999001"


def catalog_from_seed():
    """The document's course as catalog entries: what is not progress becomes attributes."""
    course = SEED_RESPONSE
    lessons = course["lessons"]
    entries = [{
        "id": str(course["id"]), "type": course["type"], "title": course["title"],
        "duration_seconds": course["duration"], "children": [str(l["id"]) for l in lessons],
        "attributes": {k: v for k, v in course.items() if k not in COURSE_FIELDS},
    }]
    for lesson in lessons:
        entries.append({
            "id": str(lesson["id"]), "type": lesson["type"], "title": lesson["title"],
            "duration_seconds": int(lesson["length_in_seconds"]),
            "attributes": {k: v for k, v in lesson.items() if k not in PROGRESS_FIELDS},
        })
    entries.append({"id": STANDALONE, "type": "song", "title": "No parent"})
    return entries


class MusoraCase(PingClient, ServerCase):
    make_catalog = staticmethod(catalog_from_seed)

    def user(self):
        return self.server.user_token("musora-" + uuid.uuid4().hex[:10])

    def play(self, token, content_id, **fields):
        """A ping of a lesson: started at 0 unless `fields` say otherwise."""
        self.ping(token, {"content_id": content_id, "position_seconds": 0, "event": "start", **fields})

    def start_three(self, token):
        """The state before the document's example: the first three lessons started at 0 %."""
        for lesson in ("292037", "292038", "292039"):
            self.play(token, lesson)

    def reset(self, token, path="/musora-api/reset", body=None, headers=None, expect=200):
        status, response_headers, raw, doc = self.server.request("PUT", path, body, token=token, headers=headers)
        self.assertEqual(status, expect, raw[:800])
        if expect == 200:
            self.assertTrue(response_headers["content-type"].startswith("application/json"))
        return doc, response_headers, raw

    def test_document_example_form_encoded(self):
        token = self.user()
        self.start_three(token)
        # $.ajax({url: '/musora-api/reset', type: 'put', dataType: 'json', data: {content_id: 292039}})
        doc, _, _ = self.reset(token, body="content_id=292039", headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "Accept": "application/json, text/javascript, */*; q=0.01",
            "X-Requested-With": "XMLHttpRequest"})
        self.assertEqual(doc, SEED_RESPONSE)
        # Numeric ids are numbers, length_in_seconds a string (the JSON text, not just the values).
        self.assertIsInstance(doc["id"], int)
        self.assertIsInstance(doc["lessons"][0]["length_in_seconds"], str)
        # The record is gone from the store (the native API sees the same reset).
        status, _, raw, _ = self.server.request("GET", "/v1/progress/292039", token=token)
        self.assertEqual(status, 404, raw)

    def test_query_and_json_content_id(self):
        token = self.user()
        self.start_three(token)
        self.play(token, "292039", position_seconds=266, duration_seconds=532)  # 50 %
        doc, _, _ = self.reset(token, "/musora-api/reset?content_id=292038")
        expected = copy.deepcopy(SEED_RESPONSE)
        expected["lessons"][1]["started"] = False
        expected["lessons"][2]["started"] = True
        expected["lessons"][2]["progress_percent"] = 50
        # Duration-weighted: 266 of 1690 s → 16 %.
        expected["progress_percent"] = round(266 / 1690 * 100)
        self.assertEqual(doc, expected)
        doc, _, _ = self.reset(token, body={"content_id": 292039})
        self.assertEqual(doc["lessons"][2]["started"], False)
        self.assertEqual(doc["progress_percent"], 0)
        doc, _, _ = self.reset(token, body={"content_id": "292037"})
        self.assertFalse(doc["started"])
        self.assertEqual(doc["current_lesson"]["id"], 292037)

    def test_completed_lessons_and_current_lesson(self):
        token = self.user()
        self.play(token, "292037", event="complete")
        self.play(token, "292038", event="complete")
        doc, _, _ = self.reset(token, body="content_id=292040",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertTrue(doc["lessons"][0]["completed"])
        self.assertEqual(doc["lessons"][0]["progress_percent"], 100)
        self.assertEqual(doc["current_lesson"]["id"], 292039)
        self.assertEqual(doc["progress_percent"], round((92 + 424) / 1690 * 100))

    def test_no_parent_is_204(self):
        token = self.user()
        self.play(token, STANDALONE)
        _, _, raw = self.reset(token, "/musora-api/reset?content_id=" + STANDALONE, expect=204)
        self.assertEqual(raw, b"")
        status, _, _, _ = self.server.request("GET", "/v1/progress/" + STANDALONE, token=token)
        self.assertEqual(status, 404)
        # Unknown content: nothing to delete, no parent: 204 as well (idempotent).
        self.reset(token, "/musora-api/reset?content_id=123456789", expect=204)

    def test_errors(self):
        token = self.user()
        doc, _, _ = self.reset(token, expect=422)
        self.assertEqual(set(doc), {"message", "errors"})
        self.assertIn("content_id", doc["errors"])
        self.assertIsInstance(doc["errors"]["content_id"], list)
        doc, _, _ = self.reset(token, body={"content_id": True}, expect=422)
        self.assertIn("content_id", doc["errors"])
        doc, _, _ = self.reset(token, "/musora-api/reset?content_id=a%20b", expect=422)
        self.assertIn("content_id", doc["errors"])
        # Only authenticated users (the document's permissions).
        status, headers, raw, doc = self.server.request("PUT", "/musora-api/reset?content_id=292039")
        self.assertEqual(status, 401, raw)
        self.assertEqual(doc, {"message": "Unauthenticated."})
        status, headers, raw, doc = self.server.request("GET", "/musora-api/reset", token=token)
        self.assertEqual(status, 405, raw)
        self.assertIn("PUT", headers.get("allow", ""))


if __name__ == "__main__":
    unittest.main()
