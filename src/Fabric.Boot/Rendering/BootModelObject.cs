using System.Collections.Frozen;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace Fabric.Boot.Rendering;

/// <summary>
/// A <see cref="BootModel"/> as a read-only Scriban object: each snake_case key maps to one property, read when a
/// template asks for it (a render reads a dozen of the thirty values, so nothing is copied up front). Lists are
/// arrays of plain <see cref="ScriptObject"/>s, made on first use. A template cannot change a model value; its
/// own global variables (<c>{{ x = 1 }}</c>, <c>capture</c>) are kept beside them for the render.
/// </summary>
internal sealed class BootModelObject(BootModel model) : IScriptObject
{
    private static readonly FrozenDictionary<string, Func<BootModel, object>> Values = new Dictionary<string, Func<BootModel, object>>(StringComparer.Ordinal)
    {
        ["name"] = static m => m.Name,
        ["hostname"] = static m => m.Hostname,
        ["role"] = static m => m.Role,
        ["state"] = static m => m.State,
        ["mac"] = static m => m.Mac,
        ["mac_hyphen"] = static m => m.MacHyphen,
        ["pxelinux_name"] = static m => m.PxelinuxName,
        ["ip"] = static m => m.Ip,
        ["netmask"] = static m => m.Netmask,
        ["prefix_length"] = static m => m.PrefixLength,
        ["gateway"] = static m => m.Gateway,
        ["dns"] = static m => m.Dns,
        ["network"] = static m => m.Network,
        ["net_boot"] = static m => m.NetBoot,
        ["root"] = static m => m.Root,
        ["root_arg"] = static m => m.RootArg,
        ["root_transport"] = static m => m.RootTransport,
        ["storage_targets"] = static m => Array(m.StorageTargets, static t => new(3, StringComparer.Ordinal) { ["name"] = t.Name, ["ip"] = t.Ip, ["target"] = t.Target }),
        ["token"] = static m => m.Token,
        ["public_url"] = static m => m.PublicUrl,
        ["files_url"] = static m => m.FilesUrl,
        ["script_url"] = static m => m.ScriptUrl,
        ["tftp_server"] = static m => m.TftpServer,
        ["kernel"] = static m => m.Kernel,
        ["initrd"] = static m => m.Initrd,
        ["retry_seconds"] = static m => m.RetrySeconds,
        ["timeout"] = static m => m.Timeout,
        ["labels"] = static m => Array(m.Labels, static l => new(2, StringComparer.Ordinal) { ["key"] = l.Key, ["value"] = l.Value }),
        ["aoe_shelf"] = static m => m.AoeShelf,
        ["pair"] = static m => m.Pair,
        ["volumes"] = static m => Array(m.Volumes, static v => new(3, StringComparer.Ordinal) { ["name"] = v.Name, ["slot"] = v.Slot, ["target"] = v.Target }),
        ["hypervisor"] = static m => m.Hypervisor,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private Dictionary<string, object?>? _lists;
    private ScriptObject? _variables;

    /// <summary>Every key a template can use, in the order of <see cref="BootModel"/>.</summary>
    public static IReadOnlyCollection<string> Keys => Values.Keys;

    public int Count => Values.Count + (_variables?.Count ?? 0);

    public bool IsReadOnly
    {
        get => true;
        set
        {
        }
    }

    public IEnumerable<string> GetMembers() => _variables is null ? Values.Keys : Values.Keys.Concat(_variables.Keys);

    public bool Contains(string member) => Values.ContainsKey(member) || (_variables?.ContainsKey(member) ?? false);

    public bool TryGetValue(TemplateContext? context, SourceSpan span, string member, out object? value)
    {
        if (!Values.TryGetValue(member, out var read))
        {
            value = null;
            return _variables is not null && _variables.TryGetValue(context, span, member, out value);
        }

        if (_lists is not null && _lists.TryGetValue(member, out var list))
        {
            value = list;
            return true;
        }

        value = read(model);
        if (value is ScriptArray)
        {
            (_lists ??= new(StringComparer.Ordinal))[member] = value;
        }

        return true;
    }

    public bool CanWrite(string member) => !Values.ContainsKey(member) && (_variables?.CanWrite(member) ?? true);

    public bool TrySetValue(TemplateContext? context, SourceSpan span, string member, object? value, bool readOnly) =>
        !Values.ContainsKey(member) && (_variables ??= new ScriptObject(StringComparer.Ordinal)).TrySetValue(context, span, member, value, readOnly);

    public bool Remove(string member) => _variables?.Remove(member) ?? false;

    public void SetReadOnly(string member, bool readOnly) => _variables?.SetReadOnly(member, readOnly);

    public IScriptObject Clone(bool deep) => new BootModelObject(model);

    private static ScriptArray Array<T>(IReadOnlyList<T> items, Func<T, ScriptObject> map)
    {
        var array = new ScriptArray(items.Count);
        foreach (var item in items)
        {
            array.Add(map(item));
        }

        return array;
    }
}
