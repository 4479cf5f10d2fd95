import time
from pathlib import Path
from app.extensions import db

def test_scratch(app):
    from app.catalog.content.importer import import_courses
    from app.catalog.content.loader import load_package
    t=time.time()
    courses, problems = load_package(Path("course_content/green-jobs"))
    print(problems, time.time()-t)
    import_courses(courses); db.session.commit()
    print(time.time()-t)
