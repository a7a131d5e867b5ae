using System.Net;
using System.Text.Json;

namespace Fabric.Appliance.Tests.Api;

/// <summary>Checks an RFC 9457 problem response.</summary>
internal static class ProblemAssert
{
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null, string? reasonContains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        if (field is not null)
        {
            Assert.True(json.TryGetProperty("errors", out var errors), body);
            Assert.True(errors.TryGetProperty(field, out var reasons), $"no error for '{field}': {body}");
            if (reasonContains is not null)
            {
                Assert.Contains(reasons.EnumerateArray(), r => r.GetString()!.Contains(reasonContains, StringComparison.Ordinal));
            }
        }

        return json;
    }
}
