"""Realistic ``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`` value sets, shared by the parser and
filter tests.

Written from what the systems report (REG_SZ as str, REG_DWORD as int), not from the parser: Windows 2000/XP/2003
have no EditionID and no InstallationType (XP Home and Professional both say "Microsoft Windows XP"), Windows
10/11 and Server 2016+ keep CurrentVersion "6.3" beside CurrentMajorVersionNumber 10, and Windows 11 still says
"Windows 10" in ProductName.
"""

from __future__ import annotations

import typing as t

Values = dict[str, t.Union[str, int]]

REAL_CURRENT_VERSION: dict[str, Values] = {
    'windows_2000_pro': {'ProductName': 'Microsoft Windows 2000', 'CurrentVersion': '5.0',
                         'CurrentBuildNumber': '2195', 'CSDVersion': 'Service Pack 4', 'CurrentType': 'Uniprocessor Free'},
    'windows_xp_real': {'ProductName': 'Microsoft Windows XP', 'CurrentVersion': '5.1', 'CurrentBuildNumber': '2600',
                        'CSDVersion': 'Service Pack 3', 'CurrentType': 'Uniprocessor Free'},
    # Lab seeds (tests/lab/fleet.py) add an EditionID that real XP lacks, so the edition is testable.
    'windows_xp_home_seeded': {'ProductName': 'Microsoft Windows XP', 'EditionID': 'Home', 'CurrentVersion': '5.1',
                               'CurrentBuildNumber': '2600', 'CSDVersion': 'Service Pack 3'},
    'windows_xp_pro_seeded': {'ProductName': 'Microsoft Windows XP', 'EditionID': 'Professional',
                              'CurrentVersion': '5.1', 'CurrentBuildNumber': '2600', 'CSDVersion': 'Service Pack 3'},
    'windows_xp_x64': {'ProductName': 'Microsoft Windows XP', 'CurrentVersion': '5.2', 'CurrentBuildNumber': '3790',
                       'CSDVersion': 'Service Pack 2'},
    'windows_server_2003': {'ProductName': 'Microsoft Windows Server 2003', 'CurrentVersion': '5.2',
                            'CurrentBuildNumber': '3790', 'CSDVersion': 'Service Pack 2'},
    'windows_server_2003_r2': {'ProductName': 'Microsoft Windows Server 2003 R2', 'CurrentVersion': '5.2',
                               'CurrentBuildNumber': '3790', 'CSDVersion': 'Service Pack 2'},
    'windows_vista_business': {'ProductName': 'Windows Vista (TM) Business', 'EditionID': 'Business',
                               'CurrentVersion': '6.0', 'CurrentBuildNumber': '6002', 'CSDVersion': 'Service Pack 2'},
    'windows_7_pro': {'ProductName': 'Windows 7 Professional', 'EditionID': 'Professional', 'CurrentVersion': '6.1',
                      'CurrentBuildNumber': '7601', 'CurrentBuild': '7601', 'CSDVersion': 'Service Pack 1',
                      'InstallationType': 'Client'},
    'windows_8_1_pro': {'ProductName': 'Windows 8.1 Pro', 'EditionID': 'Professional', 'CurrentVersion': '6.3',
                        'CurrentBuildNumber': '9600', 'CurrentBuild': '9600', 'InstallationType': 'Client'},
    'windows_10_pro': {'ProductName': 'Windows 10 Pro', 'EditionID': 'Professional', 'CurrentVersion': '6.3',
                       'CurrentBuildNumber': '19045', 'CurrentBuild': '19045', 'InstallationType': 'Client',
                       'CurrentMajorVersionNumber': 10, 'CurrentMinorVersionNumber': 0, 'DisplayVersion': '22H2'},
    'windows_11_home': {'ProductName': 'Windows 10 Home', 'EditionID': 'Core', 'CurrentVersion': '6.3',
                        'CurrentBuildNumber': '22631', 'CurrentBuild': '22631', 'InstallationType': 'Client',
                        'CurrentMajorVersionNumber': 10, 'CurrentMinorVersionNumber': 0, 'DisplayVersion': '23H2'},
    'windows_server_2016': {'ProductName': 'Windows Server 2016 Datacenter', 'EditionID': 'ServerDatacenter',
                            'CurrentVersion': '6.3', 'CurrentBuildNumber': '14393', 'CurrentBuild': '14393',
                            'InstallationType': 'Server', 'CurrentMajorVersionNumber': 10,
                            'CurrentMinorVersionNumber': 0},
    'windows_server_2019_core': {'ProductName': 'Windows Server 2019 Standard', 'EditionID': 'ServerStandard',
                                 'CurrentVersion': '6.3', 'CurrentBuildNumber': '17763', 'CurrentBuild': '17763',
                                 'InstallationType': 'Server Core', 'CurrentMajorVersionNumber': 10,
                                 'CurrentMinorVersionNumber': 0},
    'windows_server_2022': {'ProductName': 'Windows Server 2022 Standard', 'EditionID': 'ServerStandard',
                            'CurrentVersion': '6.3', 'CurrentBuildNumber': '20348', 'CurrentBuild': '20348',
                            'InstallationType': 'Server', 'CurrentMajorVersionNumber': 10,
                            'CurrentMinorVersionNumber': 0},
    'windows_server_2025': {'ProductName': 'Windows Server 2025 Datacenter', 'EditionID': 'ServerDatacenter',
                            'CurrentVersion': '6.3', 'CurrentBuildNumber': '26100', 'CurrentBuild': '26100',
                            'InstallationType': 'Server', 'CurrentMajorVersionNumber': 10,
                            'CurrentMinorVersionNumber': 0},
}
