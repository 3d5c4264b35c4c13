"""Thin views over an account's security: password change and reset, login sessions, two-factor
authentication (docs/accounts.md)."""

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import qrcode
from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from qrcode.image.svg import SvgPathImage
from rest_framework import status
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import (
    AccountDeleteInputSerializer,
    DataExportDownloadInputSerializer,
    DataExportSerializer,
    DetailSerializer,
    EmailChangeInputSerializer,
    EmailVerifyInputSerializer,
    LoginSessionSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RecoveryCodesSerializer,
    TotpEnrolmentSerializer,
    TwoFactorCodeInputSerializer,
    TwoFactorDisableInputSerializer,
    TwoFactorStatusSerializer,
)
from accounts.api.throttles import (
    AuthIPThrottle,
    EmailSendThrottle,
    PasswordCheckThrottle,
    PasswordResetAddressThrottle,
)
from accounts.api.views import (
    REFRESH_COOKIE_PATH,
    IntegrationsApi,
    PublicApi,
    current_session,
    site_url,
)
from accounts.authentication import request_user
from accounts.exceptions import WrongPassword
from accounts.exports import data_export_response
from accounts.models import DataExport
from core.errors import ERROR_SCHEMA_REF, error_body
from core.parsers import JSONParser
from core.schema import refused
from core.throttles import UserThrottle

RESET_SENT = (
    "If an account uses this address, we have sent it a link to choose a new password. "
    "It works once and expires in {minutes} minutes."
)


@contextmanager
def counting_wrong_passwords(request: Request) -> Iterator[None]:
    """A wrong password given inside counts against the person's limit (PasswordCheckThrottle)."""
    try:
        yield
    except WrongPassword:
        PasswordCheckThrottle.charge(request)
        raise


class SignedInApi(IntegrationsApi):
    """For a person signed in with a password (a JWT of a login session), never an API token. Open to staff
    who must still turn on two-factor authentication: this is where they do."""

    open_before_two_factor = True


# --- passwords


class PasswordChangeApi(SignedInApi):
    throttle_classes = [UserThrottle, PasswordCheckThrottle]

    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses={204: OpenApiResponse(description="Changed; every other session is signed out")},
    )
    def post(self, request: Request) -> Response:
        """Change your password. Every other session ends at once (its sockets close with 4401); this one
        stays signed in."""
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with counting_wrong_passwords(request):
            services.password_change(
                user=request_user(request),
                **data.validated_data,
                session_id=current_session(request),
                site_url=site_url(request),
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(PublicApi):
    throttle_classes = [AuthIPThrottle, PasswordResetAddressThrottle]

    @extend_schema(request=PasswordResetInputSerializer, responses={202: DetailSerializer})
    def post(self, request: Request) -> Response:
        """Ask for a password reset link by email. The answer is the same whether or not an account uses the
        address, and so is the work done here: the address is looked up by the task that sends the email."""
        data = PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_ask(address=data.validated_data["email"], site_url=site_url(request))
        detail = RESET_SENT.format(minutes=settings.PASSWORD_RESET_TIMEOUT // 60)
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(PublicApi):
    throttle_classes = [AuthIPThrottle]

    @extend_schema(
        request=PasswordResetConfirmInputSerializer,
        responses={204: OpenApiResponse(description="Password set; every session is signed out")},
    )
    def post(self, request: Request) -> Response:
        """Choose a new password with the `uid` and `token` of a reset link (the part after `#`). The link
        then stops working, and every session of the account ends. A used, expired or forged link is refused
        with 400 `invalid_link`."""
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- login sessions


class LoginSessionListApi(SignedInApi):
    @extend_schema(responses={200: LoginSessionSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Where you are signed in: one entry per sign-in, with its device, address and last use."""
        sessions = selectors.login_session_list_for_user(user=request_user(request))
        context = {"current_session": current_session(request)}
        return Response(LoginSessionSerializer(sessions, many=True, context=context).data)


class LoginSessionDetailApi(SignedInApi):
    @extend_schema(responses={204: OpenApiResponse(description="Signed out; its sockets closed (4401)")})
    def delete(self, request: Request, session_id: str) -> Response:
        """Sign one session out, at once: its tokens are refused and its sockets close."""
        session = selectors.login_session_get_for_user(user=request_user(request), session_id=session_id)
        services.login_session_end(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereApi(SignedInApi):
    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Every session signed out, this one too")}
    )
    def post(self, request: Request) -> Response:
        """Sign out every session of the account, this one included."""
        services.login_sessions_end_all(user=request_user(request))
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response.delete_cookie(settings.REFRESH_COOKIE_NAME, path=REFRESH_COOKIE_PATH, samesite="Strict")
        return response


# --- two-factor authentication


def _qr_code(url: str) -> str:
    svg = qrcode.make(url, image_factory=SvgPathImage, box_size=8, border=2).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


class TwoFactorApi(SignedInApi):
    @extend_schema(responses={200: TwoFactorStatusSerializer})
    def get(self, request: Request) -> Response:
        user = request_user(request)
        status_ = {
            "enabled": selectors.two_factor_device(user=user) is not None,
            "recovery_codes_left": selectors.recovery_codes_left(user=user),
            "must_enable": selectors.staff_must_set_up_two_factor(user),
        }
        return Response(TwoFactorStatusSerializer(status_).data)


class TotpEnrolmentApi(SignedInApi):
    @extend_schema(
        request=None,
        responses={
            201: TotpEnrolmentSerializer,
            **refused("`two_factor_on`: two-factor authentication is on already (off first, to change apps)"),
        },
    )
    def post(self, request: Request) -> Response:
        """Start setting up an authenticator app: scan the QR code (or type the secret), then confirm with a
        code. Nothing changes until confirmed; starting again replaces an unconfirmed set-up."""
        device = services.totp_enrolment_start(user=request_user(request))
        enrolment = {
            "secret": base64.b32encode(device.bin_key).decode(),
            "otpauth_url": device.config_url,
            "qr_code": _qr_code(device.config_url),
        }
        return Response(TotpEnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)


class TotpConfirmApi(SignedInApi):
    @extend_schema(request=TwoFactorCodeInputSerializer, responses={200: RecoveryCodesSerializer})
    def post(self, request: Request) -> Response:
        """Turn two-factor authentication on with the app's current code. Every other session ends (they
        signed in without a code). Answers with the recovery codes, shown only now."""
        data = TwoFactorCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.totp_enrolment_confirm(
            user=request_user(request), code=data.validated_data["code"], session_id=current_session(request)
        )
        return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data)


class TwoFactorDisableApi(SignedInApi):
    throttle_classes = [UserThrottle, PasswordCheckThrottle]

    @extend_schema(
        request=TwoFactorDisableInputSerializer, responses={204: OpenApiResponse(description="Turned off")}
    )
    def post(self, request: Request) -> Response:
        """Turn two-factor authentication off: your password and a current code (or a recovery code)."""
        data = TwoFactorDisableInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with counting_wrong_passwords(request):
            services.two_factor_disable(user=request_user(request), **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesApi(SignedInApi):
    @extend_schema(request=TwoFactorCodeInputSerializer, responses={200: RecoveryCodesSerializer})
    def post(self, request: Request) -> Response:
        """New recovery codes for a current code; the old ones stop working."""
        data = TwoFactorCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.recovery_codes_regenerate(
            user=request_user(request), code=data.validated_data["code"]
        )
        return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data)


# --- email addresses


class EmailVerifyApi(PublicApi):
    throttle_classes = [AuthIPThrottle]

    @extend_schema(
        request=EmailVerifyInputSerializer, responses={204: OpenApiResponse(description="Verified")}
    )
    def post(self, request: Request) -> Response:
        """Open a verification link (its `token`, after `#`): the address is verified, and a new address
        replaces the old one. An expired, forged or outdated link gets 400 `invalid_link`."""
        data = EmailVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.email_verify(token=data.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerificationResendApi(SignedInApi):
    throttle_classes = [UserThrottle, EmailSendThrottle]

    @extend_schema(
        request=None,
        responses={202: DetailSerializer, **refused("`already_verified`: the address is verified already")},
    )
    def post(self, request: Request) -> Response:
        """Send the verification link again, to the account's address."""
        user = request_user(request)
        services.email_verification_resend(user=user, site_url=site_url(request))
        return Response({"detail": f"We sent a link to {user.email}."}, status=status.HTTP_202_ACCEPTED)


class EmailChangeApi(SignedInApi):
    throttle_classes = [UserThrottle, EmailSendThrottle]

    @extend_schema(request=EmailChangeInputSerializer, responses={202: DetailSerializer})
    def post(self, request: Request) -> Response:
        """Use a new email address (your password confirms it): it replaces the current one once the link
        sent to it is opened."""
        data = EmailChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.email_change_request(
            user=request_user(request), **data.validated_data, site_url=site_url(request)
        )
        detail = f"We sent a link to {data.validated_data['email']}: open it to use that address."
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


# --- export and erasure


class DataExportApi(SignedInApi):
    @extend_schema(responses={200: DataExportSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Your data exports, newest first (none before you ask): progress, and once ready a private link."""
        exports = selectors.data_export_list_for_user(user=request_user(request))
        return Response(DataExportSerializer(exports, many=True).data)

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                DataExportSerializer, description="The finished export still kept, with a fresh link"
            ),
            202: DataExportSerializer,
            409: OpenApiResponse(ERROR_SCHEMA_REF, description="An export is already being built"),
        },
    )
    def post(self, request: Request) -> Response:
        """Download my data: a ZIP (profile.json, messages.json with each conversation's name, your files) is
        built in the background; poll GET for its progress. While a finished one is kept (7 days) it is the
        answer, 200, and a new one can be asked for once it is gone. 409 `export_in_progress` while one is
        built."""
        export = services.data_export_request(user=request_user(request))
        ready = export.status == DataExport.Status.READY
        answer = status.HTTP_200_OK if ready else status.HTTP_202_ACCEPTED
        return Response(DataExportSerializer(export).data, status=answer)


class DataExportDownloadApi(PublicApi):
    """The token comes in the body, never in the URL: a URL is kept by browser history (and synced with it),
    the downloads list and logs. The app posts it from a plain form, so the browser downloads the ZIP itself,
    streamed to disk with its progress shown, whatever its size."""

    parser_classes = [FormParser, JSONParser]

    @extend_schema(
        request={
            "application/x-www-form-urlencoded": DataExportDownloadInputSerializer,
            "application/json": DataExportDownloadInputSerializer,
        },
        responses={
            (200, "application/zip"): OpenApiResponse(description="The ZIP"),
            404: OpenApiResponse(
                ERROR_SCHEMA_REF,
                description="The token is invalid or expired, or the ZIP gone",
                examples=[
                    OpenApiExample(
                        "Expired",
                        value=error_body("not_found", selectors.EXPORT_LINK_INVALID),
                        response_only=True,
                    )
                ],
            ),
        },
    )
    def post(self, request: Request) -> StreamingHttpResponse:
        """The ZIP, for the holder of a `download_token` from GET /users/me/export/ (it works for an hour),
        sent as the form field or JSON key `token`."""
        data = DataExportDownloadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = selectors.data_export_for_download(token=data.validated_data["token"])
        return data_export_response(export)


class AccountDeleteApi(SignedInApi):
    throttle_classes = [UserThrottle, PasswordCheckThrottle]

    @extend_schema(
        request=AccountDeleteInputSerializer, responses={204: OpenApiResponse(description="Erased")}
    )
    def post(self, request: Request) -> Response:
        """Delete your account: your password, and with two-factor authentication a code. Your personal data
        is erased (docs/accounts.md) and every session ends. It cannot be undone."""
        data = AccountDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with counting_wrong_passwords(request):
            services.user_erase_confirmed(user=request_user(request), **data.validated_data)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response.delete_cookie(settings.REFRESH_COOKIE_NAME, path=REFRESH_COOKIE_PATH, samesite="Strict")
        return response
