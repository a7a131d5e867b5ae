using System.Text.Json;
using Fabric.Api.Contracts;

namespace Fabric.Appliance.Tests.Api;

/// <summary>One Server-Sent Event.</summary>
internal sealed record SseEvent(string Name, string Data)
{
    public T As<T>() => JsonSerializer.Deserialize<T>(Data, FabricJson.Options)!;
}

/// <summary>Reads a <c>text/event-stream</c> to its end (the events the server sent, comments skipped).</summary>
internal static class SseReader
{
    public static async Task<List<SseEvent>> ReadAllAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var events = new List<SseEvent>();
        string? name = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null || data.Count > 0)
                {
                    events.Add(new SseEvent(name ?? "message", string.Join("\n", data)));
                }

                name = null;
                data.Clear();
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line[6..]);
            }
        }

        return events;
    }
}
