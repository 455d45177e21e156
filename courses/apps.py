from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        # Registered here so that the dashboard never imports courses (frontend/dashboard.py).
        from courses.cards import author_courses_card, continue_learning_card
        from frontend.dashboard import register_card

        register_card(author_courses_card)
        register_card(continue_learning_card)
