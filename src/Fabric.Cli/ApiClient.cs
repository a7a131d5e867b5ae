using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Fabric.Api.Contracts;

namespace Fabric.Cli;

/// <summary>A failure to show the user as one line, with the process exit code.</summary>
internal sealed class CliException(string message, int exitCode) : Exception(message)
{
    public const int ApiError = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;

    public int ExitCode { get; } = exitCode;
}

/// <summary>The CLI's only way to the registry: the appliance's REST API.</summary>
internal sealed class ApiClient(HttpClient http, Uri server) : IDisposable
{
    /// <summary>How long the appliance may take to answer a call (a file upload and a stream of events are not bounded).</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    public Uri Server => server;

    public void Dispose() => http.Dispose();

    public static ApiClient Create(Uri server, string? token, HttpMessageHandler? handler = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = server;
        http.Timeout = Timeout.InfiniteTimeSpan;
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return new ApiClient(http, server);
    }

    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public Task<T> PostAsync<T>(string path, object body, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, body.GetType(), options: FabricJson.Options) }, cancellationToken);

    public Task<T> PatchAsync<T>(string path, object body, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Patch, path) { Content = JsonContent.Create(body, body.GetType(), options: FabricJson.Options) }, cancellationToken);

    public async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Delete, path), cancellationToken);
    }

    /// <summary>DELETE that answers with a body (e.g. the job that finishes the removal).</summary>
    public Task<T> DeleteAsync<T>(string path, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Delete, path), cancellationToken);

    /// <summary>PUT with a file as the body, streamed (never read whole into memory) and without the answer timeout.</summary>
    public async Task<T> PutFileAsync<T>(string path, Stream content, CancellationToken cancellationToken)
    {
        var body = new StreamContent(content, 1 << 16);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (content.CanSeek)
        {
            body.Headers.ContentLength = content.Length - content.Position;
        }

        return await SendAsync<T>(new HttpRequestMessage(HttpMethod.Put, path) { Content = body }, cancellationToken, bounded: false);
    }

    /// <summary>Opens a streamed response (e.g. Server-Sent Events): the caller reads its body as it arrives and disposes it.</summary>
    public Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken cancellationToken) =>
        SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken, HttpCompletionOption.ResponseHeadersRead, bounded: false);

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken, bool bounded = true)
    {
        using var response = await SendRawAsync(request, cancellationToken, bounded: bounded);
        try
        {
            return (await response.Content.ReadFromJsonAsync<T>(FabricJson.Options, cancellationToken))!;
        }
        catch (JsonException e)
        {
            throw new CliException($"error: the appliance at {server} sent an answer this CLI does not understand: {e.Message}", CliException.ApiError);
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool bounded = true)
    {
        HttpResponseMessage response;
        using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (bounded)
        {
            answer.CancelAfter(AnswerTimeout);
        }

        try
        {
            using (request)
            {
                response = await http.SendAsync(request, completion, answer.Token);
            }
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new CliException(
                $"error: cannot connect to the appliance at {server}: {e.InnerException?.Message ?? e.Message} (is it running? set --server or FABRIC_URL)",
                CliException.Unreachable);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"error: request to {server} failed: {e.Message}", CliException.Unreachable);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"error: the appliance at {server} did not answer within {AnswerTimeout.TotalSeconds:0} s", CliException.Unreachable);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new CliException(DescribeProblem(response.StatusCode, body), CliException.ApiError);
        }
    }

    /// <summary>One line from an RFC 9457 problem: <c>error: mac: '52:54:zz' is not a MAC address (400)</c>.</summary>
    internal static string DescribeProblem(HttpStatusCode status, string body)
    {
        string? message = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                {
                    var parts = new List<string>();
                    foreach (var field in errors.EnumerateObject())
                    {
                        foreach (var reason in field.Value.EnumerateArray())
                        {
                            parts.Add(string.IsNullOrEmpty(field.Name) ? $"{reason.GetString()}" : $"{field.Name}: {reason.GetString()}");
                        }
                    }

                    message = parts.Count > 0 ? string.Join("; ", parts) : null;
                }

                if (message is null && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
                {
                    message = detail.GetString();
                }

                if (message is null && root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
                {
                    message = title.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }

        message ??= string.IsNullOrWhiteSpace(body) ? status.ToString() : body.Trim().ReplaceLineEndings(" ");
        return $"error: {message} ({(int)status})";
    }
}
