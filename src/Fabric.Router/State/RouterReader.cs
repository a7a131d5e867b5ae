using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Router.Planning;

namespace Fabric.Router.State;

/// <summary>Reads the router's state over SSH: <c>ip -d -j link show</c>, <c>ip -j addr show</c>, the plan's sysctl
/// keys and <c>nft -j list table inet fabric</c>. Only reads.</summary>
public static class RouterReader
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Prints <c>key=value</c> for each key given; the value is empty when the key does not exist (the
    /// sub-interface is not there yet).</summary>
    private const string SysctlScript = "for k do printf '%s=' \"$k\"; sysctl -n \"$k\" 2>/dev/null || echo; done";

    /// <summary>Lists the table, or prints nothing with status 0 when it does not exist (any other failure is one).</summary>
    private const string NftScript = "out=$(nft -j list table inet fabric 2>&1) && { printf '%s\\n' \"$out\"; exit 0; }; " +
        "case $out in *'No such file or directory'*) exit 0;; esac; printf '%s\\n' \"$out\" >&2; exit 1";

    public static RemoteCommand LinksCommand { get; } = RemoteCommand.Of("ip", "-d", "-j", "link", "show");

    public static RemoteCommand AddressesCommand { get; } = RemoteCommand.Of("ip", "-j", "addr", "show");

    public static RemoteCommand TableCommand { get; } = RemoteCommand.Script(NftScript);

    public static RemoteCommand SysctlCommand(IEnumerable<string> keys) => RemoteCommand.Script(SysctlScript, keys);

    public static async Task<ActualRouter> ReadAsync(IRemoteHost host, DesiredRouter desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(desired);
        var options = new RemoteRunOptions(CommandTimeout);
        var links = RouterStateParser.ParseLinks((await host.RunAsync(LinksCommand, options, cancellationToken)).EnsureSuccess().StandardOutput);
        var addresses = RouterStateParser.ParseAddresses((await host.RunAsync(AddressesCommand, options, cancellationToken)).EnsureSuccess().StandardOutput);
        var sysctls = desired.Sysctls.Count == 0
            ? new Dictionary<string, string>()
            : RouterStateParser.ParseSysctls((await host.RunAsync(SysctlCommand(desired.Sysctls.Select(s => s.Key)), options, cancellationToken)).EnsureSuccess().StandardOutput);
        var table = (await host.RunAsync(TableCommand, options, cancellationToken)).EnsureSuccess().StandardOutput;
        return new ActualRouter(links, addresses, sysctls, string.IsNullOrWhiteSpace(table) ? null : RouterStateParser.ParseNftJson(table));
    }
}
