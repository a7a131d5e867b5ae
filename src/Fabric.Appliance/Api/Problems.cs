using Fabric.Registry;

namespace Fabric.Appliance.Api;

/// <summary>RFC 9457 problem details naming the field and the reason, e.g.
/// <c>{"status":400,"detail":"mac: '52:54:zz' is not a MAC address","errors":{"mac":["'52:54:zz' is not a MAC address"]}}</c>.</summary>
internal static class Problems
{
    public static IResult From(RegistryError error)
    {
        var (status, title) = error.Kind switch
        {
            RegistryErrorKind.Validation => (StatusCodes.Status400BadRequest, "The request has invalid fields"),
            RegistryErrorKind.Conflict => (StatusCodes.Status409Conflict, "Conflict with the registry"),
            _ => (StatusCodes.Status404NotFound, "Not found"),
        };
        return Fields(status, title, error.Errors);
    }

    public static IResult Fields(int status, string title, IEnumerable<FieldError> errors)
    {
        var list = errors.ToList();
        var map = list.GroupBy(e => e.Field, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.Reason).ToArray(), StringComparer.Ordinal);
        return Results.Problem(new HttpValidationProblemDetails(map)
        {
            Status = status,
            Title = title,
            Detail = string.Join("; ", list),
            Type = TypeFor(status),
        });
    }

    public static IResult Field(int status, string field, string reason, string? title = null) =>
        Fields(status, title ?? DefaultTitle(status), [new FieldError(field, reason)]);

    public static IResult Unauthorized(HttpContext context, string detail)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(detail: detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", type: TypeFor(401));
    }

    public static string TypeFor(int status) => status switch
    {
        400 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2",
        404 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        405 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6",
        409 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.10",
        413 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
        415 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16",
        416 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.17",
        431 => "https://www.rfc-editor.org/rfc/rfc6585#section-5",
        501 => "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.2",
        _ => "about:blank",
    };

    private static string DefaultTitle(int status) => status switch
    {
        400 => "The request has invalid fields",
        404 => "Not found",
        409 => "Conflict with the registry",
        413 => "Request body too large",
        415 => "Unsupported media type",
        _ => "Error",
    };
}
