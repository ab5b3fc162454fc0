from django import forms

from students.models import Exam, Student


class ExamForm(forms.ModelForm):
    class Meta:
        model = Exam
        fields = ["title", "closes_at", "max_upload_bytes", "max_uploads"]
        widgets = {
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {
            "max_upload_bytes": "3145728 bytes is 3 MB.",
        }


class StudentForm(forms.ModelForm):
    class Meta:
        model = Student
        fields = ["nickname", "first_name", "last_name", "email"]

    def clean_nickname(self):
        nickname = self.cleaned_data["nickname"].strip()
        taken = Student.objects.filter(exam=self.instance.exam, nickname__iexact=nickname)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                f"A student with nickname “{nickname}” is already in this exam."
            )
        return nickname
