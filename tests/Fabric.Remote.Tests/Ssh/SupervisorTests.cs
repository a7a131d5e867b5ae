using System.Diagnostics;
using Fabric.Remote.Ssh;

namespace Fabric.Remote.Tests.Ssh;

/// <summary>The command supervisor (<see cref="SshRemoteHost.Supervisor"/>) run locally by the shells nodes have:
/// Debian's dash and busybox ash (the netbooted nodes' root). The sshd tests cover it over SSH.</summary>
public sealed class SupervisorTests
{
    private static readonly string[] Dash = ["/bin/dash"];
    private static readonly string[] BusyboxSh = ["/usr/bin/busybox", "sh"];

    public static TheoryData<string[]> Shells => new() { Dash, BusyboxSh };

    [Fact]
    public async Task Supervisor_Shellcheck_NoFindings()
    {
        var file = Path.Combine(Path.GetTempPath(), $"fabric-supervisor-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(file, "#!/bin/sh\n" + SshRemoteHost.Supervisor + "\n");
        try
        {
            Assert.Equal("", await OpenSshServer.RunAsync("shellcheck", "-s", "sh", file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task Supervisor_CommandExits_OutputAndExitStatusPassedOn(string[] shell)
    {
        using var process = Start(shell, "sh", "-c", "echo out; echo err >&2; exit 7");

        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((7, "out\n", "err\n"), (process.ExitCode, output, error));
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task Supervisor_StdinClosed_CommandAndItsChildrenStopped(string[] shell)
    {
        var folder = Directory.CreateTempSubdirectory("fabric-supervisor-").FullName;
        try
        {
            var pids = Path.Combine(folder, "pids");
            using var process = Start(shell, "sh", "-c", "sleep 30 & echo $! > \"$1\"; echo $$ >> \"$1\"; echo ready; wait", "sh", pids);
            Assert.Equal("ready", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            var clock = Stopwatch.StartNew();
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
            foreach (var pid in (await File.ReadAllLinesAsync(pids)).Where(l => l.Length > 0))
            {
                await WaitGoneAsync(pid);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ChannelSupervisor_Shellcheck_NoFindings()
    {
        var file = Path.Combine(Path.GetTempPath(), $"fabric-channel-supervisor-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(file, "#!/bin/sh\n" + SshRemoteHost.ChannelSupervisor + "\n");
        try
        {
            Assert.Equal("", await OpenSshServer.RunAsync("shellcheck", "-s", "sh", file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task ChannelSupervisor_Input_ReachesTheCommandAndExitStatusPassedOn(string[] shell)
    {
        using var process = StartWith(SshRemoteHost.ChannelSupervisor, shell, "sh", "-c", "cat; exit 5");

        await process.StandardInput.WriteAsync("line one\nline two\n");
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((5, "line one\nline two\n"), (process.ExitCode, output));
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task ChannelSupervisor_StandardErrorClosed_CommandAndItsChildrenStopped(string[] shell)
    {
        var folder = Directory.CreateTempSubdirectory("fabric-supervisor-").FullName;
        try
        {
            var pids = Path.Combine(folder, "pids");
            using var process = StartWith(
                SshRemoteHost.ChannelSupervisor, shell, "sh", "-c", "sleep 30 & echo $! > \"$1\"; echo $$ >> \"$1\"; echo ready; wait", "sh", pids);
            Assert.Equal("ready", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            // The SSH channel closing closes the pipes of stdin, stdout and stderr; the watcher notices on stderr.
            process.StandardError.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

            foreach (var pid in (await File.ReadAllLinesAsync(pids)).Where(l => l.Length > 0))
            {
                await WaitGoneAsync(pid);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Process Start(string[] shell, params string[] command) => StartWith(SshRemoteHost.Supervisor, shell, command);

    private static Process StartWith(string supervisor, string[] shell, params string[] command)
    {
        var start = new ProcessStartInfo(shell[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in shell.Skip(1).Concat(["-c", supervisor, "fabric-run"]).Concat(command))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static async Task WaitGoneAsync(string pid)
    {
        var clock = Stopwatch.StartNew();
        while (File.Exists($"/proc/{pid}/stat") && !ReadState(pid).StartsWith('Z'))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"process {pid} still runs");
            await Task.Delay(100);
        }
    }

    private static string ReadState(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart();
        }
        catch (IOException)
        {
            return "Z";
        }
    }
}
