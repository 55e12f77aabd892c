"""The user data export holds everything stored about the user (docs/native-api.md, "Export and
erase"): a record's notes, bookmark and metadata, written through the Education API's PUT, and
Skilljar's custom_data (a key of the metadata), in the JSON export and in the CSV one."""

import csv
import io
import json
import unittest

from progressd_fixture import SERVICE_KEY, ServerCase, basic_auth, unique

BASIC = {"Authorization": basic_auth(SERVICE_KEY)}
EDU_COURSE = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
EDU_LESSON = "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a"
SJ_COURSE = "export-course"
SJ_LESSON = "export-lesson"


def catalog_entries():
    return [
        {"id": EDU_COURSE, "type": "course", "title": "Education", "children": [EDU_LESSON]},
        {"id": EDU_LESSON, "type": "video", "title": "Notes here", "duration_seconds": 60},
        {"id": SJ_COURSE, "type": "course", "title": "Skilljar", "children": [SJ_LESSON]},
        {"id": SJ_LESSON, "type": "video", "title": "Custom data here", "duration_seconds": 60},
    ]


class UserExportCompleteTest(ServerCase):
    make_catalog = staticmethod(catalog_entries)

    def write_annotations(self):
        user = unique("export-user")
        token = self.server.user_token(user)
        status, _, raw, _ = self.server.request(
            "PUT", f"/api/v1/education/progress/{EDU_COURSE}/lessons/{EDU_LESSON}",
            {"user_notes": "remember, \"this\"", "is_bookmarked": True, "metadata": {"color": "blue", "n": [1, 2]}},
            token=token)
        self.assertEqual(status, 200, raw)
        status, _, raw, _ = self.server.request(
            "PATCH", f"/v1/users/{user}/published-courses/{SJ_COURSE}/lessons/{SJ_LESSON}",
            {"lesson_progress": {"custom_data": "{\"slide\": 7}"}}, headers=BASIC)
        self.assertEqual(status, 200, raw)
        return user

    def test_json_export_holds_notes_bookmark_and_metadata(self):
        user = self.write_annotations()
        status, _, raw, doc = self.server.request("GET", f"/v1/users/{user}/export?format=json", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        records = {record["content_id"]: record for record in doc["records"]}
        self.assertEqual(set(records), {EDU_LESSON, SJ_LESSON})
        noted = records[EDU_LESSON]
        self.assertEqual(noted["notes"], "remember, \"this\"")
        self.assertIs(noted["bookmarked"], True)
        self.assertEqual(noted["metadata"], {"color": "blue", "n": [1, 2]})
        custom = records[SJ_LESSON]
        self.assertIsNone(custom["notes"])
        self.assertIs(custom["bookmarked"], False)
        self.assertEqual(custom["metadata"], {"custom_data": "{\"slide\": 7}"})

    def test_csv_export_holds_notes_bookmark_and_metadata(self):
        user = self.write_annotations()
        status, headers, raw, _ = self.server.request("GET", f"/v1/users/{user}/export?format=csv", key=SERVICE_KEY)
        self.assertEqual(status, 200, raw)
        self.assertTrue(headers["content-type"].startswith("text/csv"))
        rows = list(csv.DictReader(io.StringIO(raw.decode(), newline="")))
        self.assertIn("notes", rows[0])
        records = {row["content_id"]: row for row in rows if row["kind"] == "record"}
        self.assertEqual(set(records), {EDU_LESSON, SJ_LESSON})
        noted = records[EDU_LESSON]
        self.assertEqual(noted["notes"], "remember, \"this\"")
        self.assertEqual(noted["bookmarked"], "true")
        self.assertEqual(json.loads(noted["metadata"]), {"color": "blue", "n": [1, 2]})
        custom = records[SJ_LESSON]
        self.assertEqual((custom["notes"], custom["bookmarked"]), ("", "false"))
        self.assertEqual(json.loads(custom["metadata"]), {"custom_data": "{\"slide\": 7}"})
        # Rows of other kinds leave the record-only columns empty.
        for row in rows:
            if row["kind"] != "record":
                self.assertEqual((row["notes"], row["bookmarked"], row["metadata"]), ("", "", ""))


if __name__ == "__main__":
    unittest.main()
