using System.Diagnostics;
using System.Globalization;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Remote.Keys;

// Usage:
//   Fabric.Bench.Ssh port
//       prints a free TCP port on 127.0.0.1
//   Fabric.Bench.Ssh key KEY_FOLDER
//       makes (or reads) Fabric's key pair in KEY_FOLDER and prints the public key line
//   Fabric.Bench.Ssh roundtrip KEY_FOLDER HOST PORT USER HOST_KEY_FILE COUNT
//       connects once (not timed), then runs `true` COUNT times in a row on the pooled connection and prints
//       "pooled n=COUNT median_ms=... mean_ms=... p90_ms=..."; with a last argument "raw", SSH.NET's own
//       SshClient.RunCommand without Fabric's command supervisor (to see what the supervisor costs)
if (args.Length == 1 && args[0] == "port")
{
    // A free TCP port on 127.0.0.1 for the benchmark's sshd.
    using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    probe.Start();
    Console.WriteLine(((System.Net.IPEndPoint)probe.LocalEndpoint).Port);
    return 0;
}

if (args.Length == 2 && args[0] == "key")
{
    Console.WriteLine(SshIdentity.LoadOrCreate(args[1]).PublicKey);
    return 0;
}

if (args.Length == 8 && args[0] == "upload")
{
    // Fabric.Bench.Ssh upload KEY_FOLDER HOST PORT USER HOST_KEY_FILE LOCAL_FILE REMOTE_PATH: one SFTP upload, MB/s.
    var uploader = SshIdentity.LoadOrCreate(args[1]);
    var to = new SshTarget(args[2], int.Parse(args[3], CultureInfo.InvariantCulture), args[4], File.ReadAllText(args[5]).Trim());
    await using var uploads = RemoteHosts.Create(new RemoteOptions { KeyFolder = uploader.Folder }, uploader);
    var remote = uploads.For(to);
    (await remote.RunAsync(RemoteCommand.Of("true"))).EnsureSuccess();
    await using var file = File.OpenRead(args[6]);
    long started = Stopwatch.GetTimestamp();
    await remote.UploadAsync(file, args[7]);
    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upload bytes={file.Length} seconds={seconds:0.000} MBps={file.Length / seconds / 1e6:0.0}"));
    return 0;
}

if (args.Length is < 7 or > 8 || args[0] != "roundtrip")
{
    Console.Error.WriteLine("usage: Fabric.Bench.Ssh key KEY_FOLDER | roundtrip KEY_FOLDER HOST PORT USER HOST_KEY_FILE COUNT");
    return 2;
}

var identity = SshIdentity.LoadOrCreate(args[1]);
var target = new SshTarget(args[2], int.Parse(args[3], CultureInfo.InvariantCulture), args[4], File.ReadAllText(args[5]).Trim());
int count = int.Parse(args[6], CultureInfo.InvariantCulture);
await using var pool = RemoteHosts.Create(new RemoteOptions { KeyFolder = identity.Folder }, identity);
var host = pool.For(target);
var command = RemoteCommand.Of("true");
(await host.RunAsync(command)).EnsureSuccess();
Func<Task> once = async () => (await host.RunAsync(command)).EnsureSuccess();
Renci.SshNet.SshClient? raw = null;
if (args.Length == 8 && args[7] == "raw")
{
    // Diagnosis only: SSH.NET's own SshClient.RunCommand, without Fabric's supervisor around the command.
    using var key = new Renci.SshNet.PrivateKeyFile(identity.PrivateKeyPath);
    raw = new Renci.SshNet.SshClient(target.Host, target.Port, target.User, key);
    raw.Connect();
    once = () => Task.Run(() => raw.RunCommand("true"));
}

var times = new double[count];
for (int i = 0; i < count; i++)
{
    long started = Stopwatch.GetTimestamp();
    await once();
    times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}

Array.Sort(times);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"pooled n={count} median_ms={times[count / 2]:0.00} mean_ms={times.Average():0.00} p90_ms={times[(int)(count * 0.9)]:0.00}"));
return 0;
