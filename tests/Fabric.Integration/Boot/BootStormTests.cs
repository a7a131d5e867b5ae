using System.Diagnostics;
using System.Text.Json;

namespace Fabric.Integration.Boot;

/// <summary>A short boot storm (tests/bench/storm/run) against the appliance in namespaces the script makes: 50
/// registered nodes (a tenth of them over TFTP) must all reach <c>up</c>, and 50 unknown ones must all be discovered.
/// Any lost node fails the test.</summary>
[Collection("boot-storm")]
public sealed class BootStormTests
{
    private const int Nodes = 50;

    [Fact]
    public async Task Storm_FiftyNodesRegisteredThenUnknown_NoNodeLost()
    {
        var root = RepoRoot();
        var output = Directory.CreateTempSubdirectory("fabric-storm-test-");
        try
        {
            var info = new ProcessStartInfo(Path.Combine(root, "tests", "bench", "storm", "run"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = root,
            };
            foreach (var arg in new[] { "--nodes", $"{Nodes}", "--servers", "fabric", "--mode", "both", "--tftp-share", "0.1", "--timeout", "300", "--out", output.FullName })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(15)))
            {
                try
                {
                    await process.WaitForExitAsync(limit.Token);
                }
                catch (OperationCanceledException)
                {
                    // SIGTERM first: the script's trap stops its servers by PID and removes its namespaces.
                    Process.Start("kill", ["-TERM", $"{process.Id}"])?.WaitForExit();
                    if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
                    {
                        process.Kill(entireProcessTree: true);
                    }

                    Assert.Fail($"the storm did not finish within 15 minutes:\n{await stderr}");
                }
            }

            var log = $"{await stdout}\n{await stderr}";
            Assert.True(process.ExitCode == 0, $"storm exited {process.ExitCode}:\n{log}");

            var known = Read(output.FullName, "fabric-known-50.json");
            Assert.Equal(Nodes, known.GetProperty("up").GetInt32());
            Assert.Equal(0, known.GetProperty("failed").GetInt32());
            Assert.Equal(Nodes / 10, known.GetProperty("tftpNodes").GetInt32());
            Assert.Contains($"storm fabric (known, {Nodes} nodes, {Nodes / 10} over TFTP): {Nodes} up, failures 0", log, StringComparison.Ordinal);

            var unknown = Read(output.FullName, "fabric-unknown-50.json");
            Assert.Equal(Nodes, unknown.GetProperty("up").GetInt32());
            Assert.Equal(0, unknown.GetProperty("failed").GetInt32());
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static JsonElement Read(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        Assert.True(File.Exists(path), $"no result file {file}");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Fabric.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Fabric.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The storm runs alone: the other integration tests' servers would compete with it for two cores.</summary>
[CollectionDefinition("boot-storm", DisableParallelization = true)]
public sealed class BootStormCollection;
