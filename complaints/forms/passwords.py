"""Password reset: Django's form, with the e-mail written in the person's own language."""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import translation

from ..services.notifications import template_language
from ..services.preferences import language_of


class LocalisedPasswordResetForm(PasswordResetForm):
    """The reset link goes out in the language the account chose (its preference), else in
    the language of the page the request came from. Like Django's form, it says the same
    whether or not an account has the address."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        context = {**context, "site_url": settings.SITE_URL}  # the address e-mails link to
        language = template_language(language_of(context["user"]) or translation.get_language())
        with translation.override(language):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email]).send()
