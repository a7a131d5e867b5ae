using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Fabric.Api.Contracts;

namespace Fabric.EndToEnd;

/// <summary>What one run of <c>netboot/lab</c> printed and left behind.</summary>
internal sealed record LabRun(
    int ExitCode,
    string Output,
    string Console,
    string Result,
    double? UpSeconds,
    NodeDto? Node,
    IReadOnlyList<NodeEventDto> Events,
    string LogDir)
{
    /// <summary>The closing line's outcome: <c>up</c>, <c>failed</c>, <c>timeout</c> or <c>error</c>.</summary>
    public string Outcome => Result.Split(' ', 2)[0];

    public override string ToString() => $"exit {ExitCode}\n{Output}\n--- console ---\n{Tail(Console, 40)}";

    /// <summary>The rest of the last output line <c>lab: KEY VALUE</c> (e.g. <c>mdstat</c>, <c>repair-seconds</c>).</summary>
    public string? Line(string key)
    {
        string prefix = $"lab: {key} ";
        return Output.Split('\n').LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].TrimEnd('\r');
    }

    /// <summary>A string field of the node as the registry showed it at the end (<c>lab: node-json</c>), by its JSON name.</summary>
    public string? NodeField(string name)
    {
        if (Line("node-json") is not { } json)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>Runs <c>netboot/lab</c>: real namespaces, the appliance or the reference servers, storage hosts
/// and a qemu (TCG) node.</summary>
internal static class Lab
{
    private static readonly Lazy<string> RepoRoot = new(FindRepoRoot);
    private static readonly SemaphoreSlim BuildOnce = new(1, 1);
    private static bool built;

    public static string Root => RepoRoot.Value;

    /// <summary>The boot artifacts: <c>FABRIC_LAB_BOOT_DIR</c> (set by tests/run), else boot (next to data, never inside it).</summary>
    public static string BootDir =>
        Environment.GetEnvironmentVariable("FABRIC_LAB_BOOT_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Root, "boot");

    public static async Task<LabRun> RunAsync(params string[] args)
    {
        await EnsureBuiltAsync();
        string logDir = Directory.CreateTempSubdirectory("fabric-e2e-").FullName;
        var psi = new ProcessStartInfo(Path.Combine(Root, "netboot", "lab"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (!args.Contains("--timeout"))
        {
            // Generous: the machine running the tests may be busy, and TCG slows down with it.
            psi.ArgumentList.Add("--timeout");
            psi.ArgumentList.Add("420");
        }

        psi.ArgumentList.Add("--boot-dir");
        psi.ArgumentList.Add(BootDir);
        psi.ArgumentList.Add("--log-dir");
        psi.ArgumentList.Add(logDir);
        (int exit, string output) = await RunProcessAsync(psi, TimeSpan.FromMinutes(9));

        string consolePath = Path.Combine(logDir, "console.log");
        string console = File.Exists(consolePath) ? await File.ReadAllTextAsync(consolePath) : "";
        string result = "";
        double? upSeconds = null;
        NodeDto? node = null;
        var events = new List<NodeEventDto>();
        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith("lab: result ", StringComparison.Ordinal))
            {
                result = line["lab: result ".Length..];
            }
            else if (line.StartsWith("lab: up-seconds ", StringComparison.Ordinal))
            {
                upSeconds = double.Parse(line["lab: up-seconds ".Length..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("lab: node-json {", StringComparison.Ordinal))
            {
                node = JsonSerializer.Deserialize<NodeDto>(line["lab: node-json ".Length..], FabricJson.Options);
            }
            else if (line.StartsWith("lab: events-json ", StringComparison.Ordinal) && line.Length > "lab: events-json ".Length)
            {
                events.AddRange(ParseEvents(line["lab: events-json ".Length..]));
            }
        }

        return new LabRun(exit, output, console, result, upSeconds, node, events, logDir);
    }

    /// <summary>The events endpoint's body: a JSON array of events, or an object with one.</summary>
    private static List<NodeEventDto> ParseEvents(string json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement list = doc.RootElement;
        if (list.ValueKind == JsonValueKind.Object)
        {
            list = list.EnumerateObject().FirstOrDefault(p => p.Value.ValueKind == JsonValueKind.Array).Value;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return list.EnumerateArray().Select(e => e.Deserialize<NodeEventDto>(FabricJson.Options)!).ToList();
    }

    private static async Task EnsureBuiltAsync()
    {
        await BuildOnce.WaitAsync();
        try
        {
            if (built)
            {
                return;
            }

            var psi = new ProcessStartInfo(Path.Combine(Root, "netboot", "build"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(BootDir);
            (int exit, string output) = await RunProcessAsync(psi, TimeSpan.FromMinutes(5));
            Assert.True(exit == 0, $"netboot/build failed:\n{output}");
            built = true;
        }
        finally
        {
            BuildOnce.Release();
        }
    }

    private static async Task<(int Exit, string Output)> RunProcessAsync(ProcessStartInfo psi, TimeSpan timeout)
    {
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM lets the lab tear its namespaces down; then make sure.
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            if (!process.WaitForExit(20_000))
            {
                process.Kill(entireProcessTree: true);
            }

            lock (output)
            {
                output.AppendLine($"(killed after {timeout})");
            }
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "netboot", "lab")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("netboot/lab not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Lab runs share the 10.99.0.0/24 plan and two CPUs: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabCollection
{
    public const string Name = "lab";
}
