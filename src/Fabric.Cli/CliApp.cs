using System.CommandLine;
using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Cli.Commands;

namespace Fabric.Cli;

/// <summary>Where the CLI runs: its output streams, environment and working folder (the process's own, or a test's).</summary>
internal sealed class CliEnvironment(TextWriter output, TextWriter error, Func<string, string?> variables, string workingDirectory, HttpMessageHandler? handler = null)
{
    public const string DefaultServer = "http://127.0.0.1:8080";

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public Func<string, string?> Variables { get; } = variables;

    public string WorkingDirectory { get; } = workingDirectory;

    public HttpMessageHandler? Handler { get; } = handler;

    public static JsonSerializerOptions JsonOutput { get; } = new(FabricJson.Options) { WriteIndented = true };
}

/// <summary>The <c>fabric</c> command line: every verb is a call to the appliance's REST API.</summary>
internal static class CliApp
{
    public static readonly Option<string?> Server = new("--server", "-s")
    {
        Description = $"Appliance URL (default: FABRIC_URL or {CliEnvironment.DefaultServer})",
        Recursive = true,
    };

    public static readonly Option<string?> Token = new("--token", "-t")
    {
        Description = "Admin token or a named API token (default: FABRIC_TOKEN, or ./data/admin.token when it exists)",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("fabric: manage a Fabric appliance's nodes and networks through its REST API")
        {
            Server,
            Token,
            NodeCommands.Create(environment),
            NetworkCommands.Create(environment),
            JobCommands.Create(environment),
            StorageCommands.Create(environment),
            ImageCommands.Create(environment),
            VolumeCommands.Create(environment),
            RouterCommands.Create(environment),
            InstanceCommands.Create(environment),
            MiscCommands.Render(environment),
            MiscCommands.Lease(environment),
            SshKeyCommands.Create(environment),
            TokenCommands.Create(environment),
        };

        var parsed = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = environment.Output, Error = environment.Error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parsed.InvokeAsync(configuration, cancellationToken);
        }
        catch (CliException e)
        {
            await environment.Error.WriteLineAsync(e.Message);
            return e.ExitCode;
        }
    }

    /// <summary>Runs one verb against the API, turning every failure into one line on stderr and a non-zero exit code.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(CliEnvironment environment, Func<ParseResult, ApiClient, CancellationToken, Task> body) =>
        async (parse, cancellationToken) =>
        {
            using var client = Connect(parse, environment);
            await body(parse, client, cancellationToken);
            return 0;
        };

    private static ApiClient Connect(ParseResult parse, CliEnvironment environment)
    {
        var serverText = parse.GetValue(Server) ?? environment.Variables("FABRIC_URL") ?? CliEnvironment.DefaultServer;
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            throw new CliException($"error: --server: '{serverText}' is not an http(s) URL", CliException.Usage);
        }

        var token = parse.GetValue(Token) ?? environment.Variables("FABRIC_TOKEN");
        if (string.IsNullOrEmpty(token))
        {
            var file = Path.Combine(environment.WorkingDirectory, "data", "admin.token");
            token = File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }

        return ApiClient.Create(server, token, environment.Handler);
    }

    public static void WriteJson<T>(CliEnvironment environment, T value) =>
        environment.Output.WriteLine(JsonSerializer.Serialize(value, CliEnvironment.JsonOutput));

    public static Option<string> OutputOption() => new Option<string>("--output", "-o")
    {
        Description = "table (for people) or json (for scripts)",
        DefaultValueFactory = _ => "table",
    }.AcceptOnlyFromAmong("table", "json");

    public static bool IsJson(ParseResult parse, Option<string> output) => parse.GetValue(output) == "json";
}
