using System.ComponentModel.DataAnnotations;
using Fabric.Appliance.Web;
using Fabric.Core;
using Fabric.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Fabric.Appliance.Pages;

/// <summary>The node list by role, with the add-node form and a remove button per node.</summary>
public sealed class IndexModel(IRegistry registry) : PageModel
{
    /// <summary>The add-node form. The registry checks every field; its errors are shown next to the field.</summary>
    public sealed class NodeForm
    {
        public string? Name { get; set; }

        [Display(Name = "MAC")]
        public string? Mac { get; set; }

        public string? Role { get; set; } = "hardware";

        public string? Root { get; set; }

        [Display(Name = "IP")]
        public string? Ip { get; set; }

        public string? Network { get; set; }
    }

    [BindProperty]
    public NodeForm Input { get; set; } = new();

    [TempData]
    public string? Notice { get; set; }

    public IReadOnlyList<Node> Discovered { get; private set; } = [];

    public IReadOnlyList<(NodeRole Role, IReadOnlyList<Node> Nodes)> ByRole { get; private set; } = [];

    public IReadOnlyList<Network> Networks { get; private set; } = [];

    public static IReadOnlyList<NodeRole> Roles { get; } = Enum.GetValues<NodeRole>();

    public void OnGet() => Load();

    /// <summary>Only the node tables, for the page's periodic refresh.</summary>
    public IActionResult OnGetNodes()
    {
        Load();
        return Partial("_NodeTables", this);
    }

    public async Task<IActionResult> OnPostAddAsync(CancellationToken cancellationToken)
    {
        var input = new NodeInput
        {
            Name = Input.Name,
            Role = Input.Role,
            Macs = string.IsNullOrWhiteSpace(Input.Mac) ? [] : [Input.Mac],
            MacField = "mac",
            Ip = Blank(Input.Ip),
            Network = Blank(Input.Network),
            Root = Blank(Input.Root),
        };

        var result = await registry.AddNodeAsync(input, WebActor.Name, cancellationToken);
        if (!result.Succeeded)
        {
            foreach (var error in result.Error.Errors)
            {
                ModelState.AddModelError(FormField(error.Field), error.Reason);
            }

            Load();
            return Page();
        }

        Notice = $"Added {result.Value.Name}.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRemoveAsync(string name, CancellationToken cancellationToken)
    {
        var result = await registry.RemoveNodeAsync(name, WebActor.Name, cancellationToken);
        Notice = result.Succeeded ? $"Removed {name}." : $"Could not remove {name}: {result.Error}";
        return RedirectToPage();
    }

    private void Load()
    {
        var nodes = registry.ListNodes();
        Discovered = nodes.Where(n => n.State == NodeState.Discovered).OrderBy(n => n.Name, StringComparer.Ordinal).ToArray();
        ByRole = Roles
            .Select(role => (role, (IReadOnlyList<Node>)nodes
                .Where(n => n.Role == role && n.State != NodeState.Discovered)
                .OrderBy(n => n.Name, StringComparer.Ordinal)
                .ToArray()))
            .ToArray();
        Networks = registry.ListNetworks();
    }

    /// <summary>The form field a registry error is about; errors about other fields go to the form's summary.</summary>
    private static string FormField(string field) => field switch
    {
        "name" => "Input.Name",
        _ when field.StartsWith("mac", StringComparison.Ordinal) => "Input.Mac",
        "role" => "Input.Role",
        "root" => "Input.Root",
        "ip" => "Input.Ip",
        "network" => "Input.Network",
        _ => string.Empty,
    };

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
