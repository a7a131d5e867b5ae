using System.Text.Json;
using System.Text.Json.Nodes;
using Fabric.Api.Contracts;

namespace Fabric.Appliance.Api;

/// <summary>Reads a JSON request body, turning every way it can be wrong into a problem: not JSON (415),
/// malformed (400 naming the JSON path), too large (413), empty (400).</summary>
internal static class JsonBody
{
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.Field(StatusCodes.Status415UnsupportedMediaType, "body", "send the body as JSON with 'Content-Type: application/json'"));
        }

        try
        {
            var value = await request.ReadFromJsonAsync<T>(FabricJson.Options, cancellationToken);
            return value is null ? (null, Problems.Field(StatusCodes.Status400BadRequest, "body", "a JSON object is required")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Malformed(e));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(request.HttpContext));
        }
    }

    /// <summary>Reads a JSON merge patch (RFC 7396) body: the typed value, plus the names (as the contract spells
    /// them) of the members set to null, which the patch removes.</summary>
    public static async Task<(T? Value, IReadOnlyList<string> Removed, IResult? Problem)> ReadMergePatchAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        var (body, problem) = await ReadAsync<JsonObject>(request, cancellationToken);
        if (problem is not null)
        {
            return (null, [], problem);
        }

        var names = typeof(T).GetProperties().Select(p => FabricJson.Options.PropertyNamingPolicy!.ConvertName(p.Name)).ToList();
        var removed = new List<string>();
        foreach (var (key, value) in body!)
        {
            if (value is null)
            {
                removed.Add(names.FirstOrDefault(n => string.Equals(n, key, StringComparison.OrdinalIgnoreCase)) ?? key);
            }
        }

        try
        {
            var typed = body.Deserialize<T>(FabricJson.Options);
            return typed is null ? (null, [], Problems.Field(StatusCodes.Status400BadRequest, "body", "a JSON object is required")) : (typed, removed, null);
        }
        catch (JsonException e)
        {
            return (null, [], Malformed(e));
        }
    }

    public static IResult TooLarge(HttpContext context)
    {
        var limit = context.RequestServices.GetRequiredService<Hosting.FabricOptions>().MaxRequestBodyBytes;
        return Problems.Field(StatusCodes.Status413PayloadTooLarge, "body", $"the request body is larger than {limit} bytes");
    }

    /// <summary>400 naming the JSON path that could not be read.</summary>
    private static IResult Malformed(JsonException e)
    {
        var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
        return Problems.Field(StatusCodes.Status400BadRequest, field, $"malformed JSON: {FirstSentence(e.Message)}");
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}
